from __future__ import annotations

import pytest

from supportal.knowledge import embeddings, suggest


@pytest.fixture(autouse=True)
def _fresh_vectors():
    # Each test reads its own rows: no matrix of an earlier test's vectors stays in memory.
    embeddings._matrices.clear()
    suggest._stem_lists.clear()
    suggest._common.clear()
    yield
    embeddings._matrices.clear()
    suggest._stem_lists.clear()
    suggest._common.clear()


@pytest.fixture
def no_model(settings):
    """Suggestions without the embedding model: full-text search alone."""
    settings.SUPPORTAL_EMBEDDINGS = False
    embeddings._model.cache_clear()
    yield
    embeddings._model.cache_clear()
