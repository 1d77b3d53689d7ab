"""Fine-grained RLHF training: alignment, data, reward models, PPO, evaluation. Never imports app/."""
