"""Python judges with known answers for the win-rate tests."""


def always_first(prompt: str, a: str, b: str) -> float:
    """Always prefers its first response, which evaluate_win_rate fills with the policy's."""
    return 1.0


def out_of_range(prompt: str, a: str, b: str) -> float:
    return 2.0
