"""Adapters: the only place boto3 is called. Clients are passed in, never created at import."""
