"""Journeys as data: definitions (`definition`), conditions, the catalogue, the compiler to Amazon
States Language and the router's decisions. Pure: no boto3 here (docs/journeys.md)."""
