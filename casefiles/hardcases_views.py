"""Pages of the hard cases (hold, lost contact and signals), on the casefiles blueprint."""
