"""What the tools and the tests share: reading a config and building its
segmentor, the options of train.py and test.py, a quiet start, Markdown
tables and synthetic batches. Nothing here is registered."""
