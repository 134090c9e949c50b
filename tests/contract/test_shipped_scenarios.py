"""The shipped adapters' own integration scenarios, collected here again so that each runs on moto and on
the engine (tests/contract/conftest.py gives their ``dynamodb`` and ``nurture_table`` fixtures per backend).

Two scenarios of tests/integration/test_process.py assert moto's number text ("42.00", "5.50"): AWS
trims trailing zeros, so they are not imported; test_dynamodb_adapters.py runs both with each
backend's known answer.
"""

from __future__ import annotations

from tests.integration.test_process import (  # noqa: F401 (imported to be collected here)
    process,
    sfn,
    test_given_a_batch_of_only_malformed_records_when_processed_then_all_are_reported_not_raised,
    test_given_a_batch_with_malformed_records_when_processed_then_only_they_fail,
    test_given_a_contact_when_email_consent_becomes_subscribed_then_one_welcome_journey_starts,
    test_given_a_contact_who_left_when_subscribing_again_then_welcome_exited_and_never_restarts,
    test_given_a_duplicate_whose_cancellation_omits_the_item_when_applying_then_effects_are_read_back,
    test_given_a_new_person_when_their_contact_event_is_processed_then_a_contact_with_identities_and_log_exists,
    test_given_a_newer_update_lands_between_read_and_write_when_an_older_one_commits_then_it_is_replanned,
    test_given_a_newer_update_when_an_older_one_arrives_then_it_is_logged_but_overwrites_nothing,
    test_given_a_started_journey_when_the_same_subscribe_is_redelivered_then_already_exists_is_not_a_failure,
    test_given_a_subscribed_contact_when_a_newer_subscribed_report_arrives_then_no_start_is_attempted,
    test_given_an_anonymous_cart_when_processed_then_it_succeeds_and_writes_nothing,
    test_given_an_applied_event_when_it_is_delivered_again_then_one_event_item_and_the_profile_is_unchanged,
    test_given_settings_in_the_environment_when_invoked_then_the_handler_builds_its_own_dependencies,
    test_given_the_journey_start_failed_when_the_record_is_retried_then_the_duplicate_still_starts_the_journey,
    test_given_the_profile_keeps_changing_when_applying_then_it_gives_up_after_bounded_attempts,
    test_given_the_published_shopify_test_order_when_processed_then_it_is_recorded_but_not_counted,
    test_given_the_table_is_missing_when_processed_then_the_record_fails,
    test_given_throttling_when_applying_then_the_dependency_is_unavailable,
    test_given_two_first_sightings_race_when_the_other_claims_the_email_first_then_both_agree_on_its_contact,
)
from tests.integration.test_send_ledger import (  # noqa: F401 (imported to be collected here)
    ledger,
    test_a_claim_that_never_reached_the_provider_is_taken_over_by_the_same_execution,
    test_a_definite_failure_may_be_claimed_again,
    test_a_sent_step_is_never_claimed_again,
    test_a_table_error_is_dependency_unavailable,
    test_an_unknown_outcome_is_recorded_and_can_still_be_settled,
    test_claims_are_per_step,
    test_once_sending_no_attempt_claims_again,
    test_only_the_claim_holder_can_finish_it,
    test_the_first_claim_wins_and_another_execution_is_refused,
    test_the_recipient_is_read_from_the_profile_item,
    test_the_same_claim_written_twice_counts_once,
)
