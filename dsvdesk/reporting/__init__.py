"""Reporting: what DSVDesk computes from the stored records — Part A figures, the compliance dashboard,
the review queue and the board-report pack. Qt-free; above ``engine`` and ``store`` (which it reads only
through the Store's public surface), beside ``export`` (whose renderers and signing it calls), below ``ui``.

- ``parta`` — Part A figures from period rows (pure); ``queries`` — the store reads they come from;
- ``dashboard`` — the supervisor's compliance figures; ``review_queue`` — the submitted-records queue;
- ``board`` — what the board-report screens show (preview numbering, progress, figure choices);
- ``pack`` — the board pack: compute, render, sign, write (its verification lives in ``export``).
"""
