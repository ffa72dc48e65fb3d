# mmseg's Cityscapes settings (512x1024 crops of the 2048x1024 images, scale
# 0.5-2.0, flip, photometric distortion; whole 2048x1024 images at test),
# with a dataset class that checks the layout up front (missing folders,
# unpaired images/annotations, labelIds instead of labelTrainIds masks) and
# names what is wrong, as ade20k_checked.py does for ADE20K.
_base_ = ['../mmseg/datasets/cityscapes.py']
# Training samples carry their own seeds (sample_randomness.py): the same
# augmentations after a resume, on mmengine and on the fork alike.
train_dataloader = dict(
    sampler=dict(type='SampleSeededInfiniteSampler'),
    dataset=dict(type='CheckedCityscapesDataset'))
val_dataloader = dict(dataset=dict(type='CheckedCityscapesDataset'))
test_dataloader = val_dataloader
# mmseg's IoUMetric, keeping its per-class results for tools/test.py's
# metrics JSON (the same numbers).
val_evaluator = dict(type='ClassIoUMetric')
test_evaluator = val_evaluator
