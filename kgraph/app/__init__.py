"""The Streamlit dashboard: `data` holds what it shows (pure functions over a KnowledgeGraph),
`streamlit_app` wires widgets to them. Start it with `kgraph dashboard`."""
