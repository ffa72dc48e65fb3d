# An alternative to the paper's recipe, NOT a reproduction of a published
# number: UperNet + InceptionNeXt-T trained with the optimizer of mmseg's
# ConvNeXt-T UperNet recipe
# (configs/convnext/convnext-tiny_upernet_8xb2-amp-160k_ade20k-512x512.py):
# AdamW lr 1e-4, betas (0.9, 0.999), weight decay 0.05 (none on 1-D
# parameters and biases), stage-wise lr decay 0.9 over 6 layers. Everything
# else is the paper's InceptionNeXt-T recipe (same warm-up and poly schedule
# as ConvNeXt's, 8 GPUs x 2, 160k iterations, drop path 0.2). ConvNeXt's
# recipe also trains with AMP (`tools/train.py --amp`) and tests with slide
# inference (`--cfg-options model.test_cfg.mode=slide
# model.test_cfg.crop_size="(512,512)" model.test_cfg.stride="(341,341)"`).
#
# Learning rate per parameter (base 1e-4): stem and downsampling layers
# 0.9^7, stage i blocks 0.9^(6-i), output norms, neck and heads 1.0.
_base_ = ['../upernet_inceptionnext_t_ade20k.py']
optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    constructor='InceptionNeXtLearningRateDecayOptimizerConstructor',
    optimizer=dict(
        type='AdamW', lr=1e-4, betas=(0.9, 0.999), weight_decay=0.05),
    paramwise_cfg=dict(decay_rate=0.9, decay_type='stage_wise',
                       num_layers=6))
