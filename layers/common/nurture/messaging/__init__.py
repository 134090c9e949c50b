"""Messages, pure: rendering templates, building MIME, unsubscribe tokens, delivery rules (no boto3)."""
