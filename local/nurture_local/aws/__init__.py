"""In-process answers to AWS API calls for the local runtime (development only, never shipped)."""
