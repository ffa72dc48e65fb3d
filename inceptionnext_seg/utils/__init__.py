"""What the tools and the tests share: reading a config and building its
segmentor, the options of train.py and test.py, a quiet start, Markdown
tables, synthetic batches and the options that shorten a run. Nothing here
is registered."""
