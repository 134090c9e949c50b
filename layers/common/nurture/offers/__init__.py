"""Offers (docs/offers.md): the discount-code pools (`pools`, the configuration file's loader) and
their codes (`codes`: importing, generating and the claim decision, pure). The table side is
`nurture.adapters.dynamodb_codes`."""
