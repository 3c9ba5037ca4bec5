"""Pure scoring: answers -> five-level scores per domain and overall, one or many."""

from .batch import score_frame
from .response import (
    DomainResult,
    ResponseScore,
    band,
    option_scores,
    score_domain,
    score_response,
)

__all__ = [
    "DomainResult",
    "ResponseScore",
    "band",
    "option_scores",
    "score_domain",
    "score_response",
    "score_frame",
]
