"""causalrec: CausalBoost attention for sequential recommendation, reproduced and tested."""

__version__ = "0.1.0"
