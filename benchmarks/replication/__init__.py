"""The replication benchmark: a small-scale analogue of fine-grained vs standard PPO, with a programmatic gold judge."""
