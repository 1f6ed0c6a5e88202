// train_push.glsl — the push constants of the training kernels (= TrainPush in gpu/gpu_train.c).
layout(push_constant) uniform Push {
    uint batch, nlayers;
    int act;
    uint widths[GPU_MLP_MAX_LAYERS + 1];
    uint seed_lo, seed_hi, step, ncomp;
    uint nlevels, nparams, acts_stride, deltas_stride;
    uint loss_slot;
    float loss_scale, inv_batch;
    float step_size, beta1, beta2, one_minus_b1, one_minus_b2, bias2_sqrt, eps;
} pc;
