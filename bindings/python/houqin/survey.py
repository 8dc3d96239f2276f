"""houqin.survey: the satisfaction survey (满意度测评) domain's entities, bound generically from their C++ descriptions.

Its operations are service operations: see houqin.services.survey (and docs/survey.md). Responses
and ballots are no entities here: raw answers would bypass the minimum count every report keeps.
"""

from ._core import survey as _compiled

__all__ = [n for n in dir(_compiled) if not n.startswith("_")]
globals().update({n: getattr(_compiled, n) for n in __all__})
