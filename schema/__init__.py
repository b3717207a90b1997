"""The assembled GraphQL schema: types, inputs, errors, context, limits.

``build_schema(settings)`` builds the graph with the limits of those settings
(``schema.limits``); ``create_app`` builds one per app. ``schema`` is the graph with the
default limits, for tools that only need its shape (printing the SDL, tests).
"""

from __future__ import annotations

from functools import lru_cache

import strawberry
from strawberry.tools import merge_types

from schema.allocation import AllocationMutation, AllocationQuery
from schema.analytics import AnalyticsQuery
from schema.approvals import ApprovalMutation, ApprovalQuery
from schema.catalogues import CatalogueMutation
from schema.connectors import ConnectorMutation, ConnectorQuery
from schema.engagement import EngagementMutation, EngagementQuery
from schema.execution import ValueObjectsExecutionContext
from schema.feedback import FeedbackMutation, FeedbackQuery
from schema.forecast import ForecastMutation, ForecastQuery
from schema.health import HealthQuery
from schema.jobs import JobMutation, JobQuery, JobSubscription
from schema.limits import GraphQLLimits, allow_list_from, build_extensions
from schema.live import LiveQuery
from schema.mutations import Mutation
from schema.promotions import PromotionMutation
from schema.query import Query
from schema.rebates import RebateMutation, RebateQuery
from schema.security import SecurityQuery
from schema.stock_control import (
    StockControlMutation,
    StockControlQuery,
    StockControlSubscription,
)
from schema.tracking import TrackingMutation, TrackingSubscription
from schema.training import TrainingQuery
from schema.types.order import Order
from schema.types.partner import Partner, PartnerDocument
from schema.types.product import Product
from schema.types.region import Region, Tier
from schema.types.stock import Location, StockLevel
from settings import Settings

# The root query: the channel (schema.query), the security auditor's fields (schema.security),
# connector management (schema.connectors), the live field definitions (schema.live) and
# background jobs (schema.jobs); the root mutation adds connector and job management; the
# root subscription follows job runs.
RootQuery = merge_types(
    "Query",
    (
        Query,
        SecurityQuery,
        ConnectorQuery,
        LiveQuery,
        JobQuery,
        StockControlQuery,
        ApprovalQuery,
        RebateQuery,
        AnalyticsQuery,
        AllocationQuery,
        EngagementQuery,
        FeedbackQuery,
        TrainingQuery,
        HealthQuery,
        ForecastQuery,
    ),
)
RootMutation = merge_types(
    "Mutation",
    (
        Mutation,
        ConnectorMutation,
        JobMutation,
        StockControlMutation,
        ApprovalMutation,
        RebateMutation,
        PromotionMutation,
        TrackingMutation,
        AllocationMutation,
        ForecastMutation,
        EngagementMutation,
        FeedbackMutation,
        CatalogueMutation,
    ),
)
RootSubscription = merge_types(
    "Subscription", (JobSubscription, StockControlSubscription, TrackingSubscription)
)


def _schema(limits: GraphQLLimits, allow_list: dict[str, str] | None) -> strawberry.Schema:
    return strawberry.Schema(
        query=RootQuery,
        mutation=RootMutation,
        subscription=RootSubscription,
        types=[Region, Tier, Partner, PartnerDocument, Product, Location, StockLevel, Order],
        extensions=build_extensions(limits, allow_list),
        execution_context_class=ValueObjectsExecutionContext,
    )


@lru_cache(maxsize=16)
def _shared_schema(limits: GraphQLLimits) -> strawberry.Schema:
    """Schemas without an allow-list are stateless, so apps with equal limits share one."""
    return _schema(limits, None)


def build_schema(settings: Settings | None = None) -> strawberry.Schema:
    """The graph with the limits (and persisted-query allow-list) of ``settings``.

    ``None`` means the defaults of ``Settings``, ignoring the environment.
    """
    settings = settings or Settings.model_construct()
    limits = GraphQLLimits.from_settings(settings)
    allow_list = allow_list_from(settings)
    return _shared_schema(limits) if allow_list is None else _schema(limits, allow_list)


schema = build_schema()
