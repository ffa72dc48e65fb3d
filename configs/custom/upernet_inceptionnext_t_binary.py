# UperNet + InceptionNeXt-T for binary segmentation: one foreground class
# against the background, on the own-data template
# (upernet_inceptionnext_t_custom.py, which says how each setting is used;
# copy both files into your folder). docs/datasets.md "Binary segmentation"
# has the recipe and the commands.
#
# The head: two classes with a softmax (mmseg's CrossEntropyLoss), not one
# channel with a sigmoid and a threshold: the metric, the per-class scalars
# (IoU.foreground in the JSON log and TensorBoard: ClassScalarsHook), the
# ignore index, class weights and inference (argmax) then work as for any
# other dataset, with no threshold to choose; on generated data it did better
# than the sigmoid head (docs/datasets.md, "The binary recipes compared").
_base_ = ['./upernet_inceptionnext_t_custom.py']

# ---------------------------------------------------------------- your data
# DATA_ROOT/images/{train,val}/NAME.jpg, DATA_ROOT/masks/{train,val}/NAME.png
data_root = 'data/my_binary'
classes = ('background', 'foreground')  # name your foreground
# Masks: 0 = background, the foreground 255 (what most annotation tools and
# image editors write) or 1; value_map reads a stored 255 as class 1, so both
# load as 0/1. Where 255 marks void pixels instead (foreground 1, void 255:
# ignored), set value_map = None. Any other value stops the run, naming the
# file (anti-aliased or JPEG masks: threshold them to 0/255 first).
value_map = {255: 1}

# ------------------------------------------------------------------- model
# None: both classes weigh the same in the loss. For a rare foreground, the
# line tools/analysis_tools/check_dataset.py CONFIG prints (median frequency
# balancing of the training masks), e.g. class_weight = [0.6, 2.9].
class_weight = None
# mmseg's CrossEntropyLoss stops on class weights at the first ignored pixel
# (IndexError): the project's WeightedCrossEntropyLoss takes them.
loss = dict(type='CrossEntropyLoss' if class_weight is None else
            'WeightedCrossEntropyLoss', class_weight=class_weight)
model = dict(
    decode_head=dict(num_classes=len(classes), loss_decode=loss),
    auxiliary_head=dict(num_classes=len(classes), loss_decode=loss))

# -------------------------------------------------------------------- data
dataset = dict(data_root=data_root, classes_file=None,
               metainfo=dict(classes=classes), value_map=value_map)
train_dataloader = dict(dataset=dataset)
val_dataloader = dict(dataset=dataset)
test_dataloader = dict(dataset=dataset)
