"""kgraph."""
