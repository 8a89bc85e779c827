"""kgraph: a knowledge graph of the references made in (AI-safety) podcasts.

    from kgraph import KnowledgeGraph
    kg = KnowledgeGraph.build(["path/to/hugo-site"], store=".kgraph")
    rows = kg.query("SELECT ?t WHERE { ?e a schema:PodcastEpisode ; schema:name ?t }")
"""

from __future__ import annotations

__version__ = "0.1.0"

from kgraph.errors import ExportError, InputError, KgraphError, QueryError, StoreError  # noqa: E402
from kgraph.graph import KnowledgeGraph  # noqa: E402

__all__ = ["KnowledgeGraph", "KgraphError", "InputError", "QueryError", "StoreError", "ExportError", "__version__"]
