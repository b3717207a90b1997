"""End-to-end tests: they drive a running ChannelHub server over 127.0.0.1."""
