"""Checks for the notebooks' exercises: one module per lesson (``lesson02.py`` for
``02_gradient_clipping``), one function per exercise.

A lesson leaves each answer as ``...``; its check cell then says the exercise is still open
and passes, so the lesson runs top to bottom. Given an answer, the check asserts it, with a
message that says what was expected. The notebooks in ``solutions/`` fill the answers in and
run the same checks, so CI proves every check accepts a right answer.
"""


def relative_error(analytic, numerical, floor=1e-8):
    """CS231n's largest |a - n| / max(|a|, |n|) over the elements (``floor`` keeps 0/0 out)."""
    import numpy as np

    analytic, numerical = np.asarray(analytic), np.asarray(numerical)
    scale = np.maximum(np.maximum(np.abs(analytic), np.abs(numerical)), floor)
    return float(np.max(np.abs(analytic - numerical) / scale))


def unanswered(*answers):
    """True, with a note printed, while any of ``answers`` is still the placeholder ``...``."""
    if any(answer is ... for answer in answers):
        print("Not answered yet: replace the ... above with your answer and run the cell again.")
        return True
    return False


def passed(message):
    """Print the verdict of a check that held."""
    print(f"Correct: {message}")


def word_answer(answer, expected, hint, verdict):
    """Assert a one-word (or few-word) answer, case and surrounding spaces ignored."""
    if unanswered(answer):
        return
    assert isinstance(answer, str) and answer.strip().lower() == expected, (
        f"got {answer!r}: {hint}")
    passed(verdict)
