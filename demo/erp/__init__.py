"""The demo ERP that ``channelhub demo`` serves in-process, so data arrives with no setup.

A NAV-flavoured SOAP sales service (customers, items, stock, sales orders; bookmark paging;
``CreateSalesOrder`` for write-back) and a REST/JSON finance service (OAuth2 client
credentials; invoices, payments, credit balances with cursor pages), both over one
deterministic dataset that lines up with the hub's demo seed by natural key.
"""
