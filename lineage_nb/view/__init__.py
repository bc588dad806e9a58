"""What a graph view shows, held in Python: elements, layout, panels, and the offline HTML export."""
