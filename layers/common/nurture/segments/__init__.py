"""Dynamic segments as data: definitions (`definition`, one YAML file per segment in this folder) and
their evaluation against a contact's profile and recent events (`evaluate`). Pure: no boto3 here
(docs/scoring.md)."""
