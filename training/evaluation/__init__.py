"""Policy evaluation: win rate of a policy against a reference under a pairwise judge."""
