"""`streamlit run streamlit_app.py`: the kgraph dashboard (kgraph/app/streamlit_app.py) on $KGRAPH_STORE."""
from kgraph.app.streamlit_app import main

main()
