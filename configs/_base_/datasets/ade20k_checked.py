# mmseg's ADE20K settings, with a dataset class that checks the layout up
# front (missing folders, unpaired images/annotations) and names what is wrong.
_base_ = ['../mmseg/datasets/ade20k.py']
# Training samples carry their own seeds (sample_randomness.py): the same
# augmentations after a resume, on mmengine and on the fork alike.
train_dataloader = dict(
    sampler=dict(type='SampleSeededInfiniteSampler'),
    dataset=dict(type='CheckedADE20KDataset'))
val_dataloader = dict(dataset=dict(type='CheckedADE20KDataset'))
test_dataloader = val_dataloader
# mmseg's IoUMetric, keeping its per-class results for tools/test.py's
# metrics JSON (the same numbers).
val_evaluator = dict(type='ClassIoUMetric')
test_evaluator = val_evaluator
