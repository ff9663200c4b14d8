"""sslcore: task-agnostic self-supervised pretraining (SimCLR, CLSA, DisCo) on any folder of images.

sslcore never imports ``render`` or ``spare3d``. Engine pieces other packages reuse (stable APIs):

Backbones (``sslcore.backbones``)
    ``build_backbone(name, in_channels=3, small_input=False) -> (nn.Module, feature_dim)``;
    names in ``BACKBONES``: resnet18/34/50, mobilenet_v3_small, efficientnet_b0, vgg16 (weights=None).
    The module maps (B, C, H, W) -> (B, feature_dim) global-pooled features (no classifier).
Heads (``sslcore.heads``)
    ``ProjectionHead(HeadConfig(in_dim, hidden_dim=2048, out_dim=128, num_layers=2, batch_norm=True))``.
Checkpoints (``sslcore.checkpoint``)
    ``save_checkpoint(path, model=state_dict, meta=json_able, optimizer=..., scheduler=..., tensors=...,
    generators=...)`` (atomic; also stores RNG states) / ``load_checkpoint(path) -> dict`` (weights_only;
    ``meta`` as dict); ``set_rng_state(state["rng"])``; ``atomic_write(path, write_fn)``;
    ``export_backbone(path, backbone, meta, head=None)`` (safetensors + .json sidecar; meta needs
    backbone, in_channels, small_input, method) / ``load_backbone(path) -> nn.Module`` /
    ``load_encoder(path) -> (backbone, head, meta)``. Bad files raise ``SSLCoreError`` (one line).
Runtime (``sslcore.runtime``)
    ``pick_device("auto")``, ``autocast(device, precision="auto"|"bf16"|"fp32")`` (context manager),
    ``use_bf16(device, precision)``, ``channels_last(module)``, ``to_device(x, device)``.
Distributed (``sslcore.distributed``)
    ``init_distributed()`` (torchrun env), ``teardown()``, ``rank()``, ``world_size()``, ``is_main()``,
    ``barrier()``, ``gather_with_grad(x)``, ``gather(x)``, ``all_reduce_mean(x)``.
Optimization (``sslcore.optim``, ``sslcore.schedule``)
    ``build_optimizer(module, "sgd"|"lars"|"adamw", lr, weight_decay, momentum=0.9)``,
    ``scale_lr(base, batch, "sqrt"|"linear"|"none")``, ``LARS``;
    ``WarmupCosine(optimizer, warmup_steps, total_steps, final_ratio=0.0)``, ``warmup_cosine(step, ...)``.
Metrics (``sslcore.metrics``)
    ``MetricLogger(out_dir, resume_step=None, tensorboard=True).log(step, **scalars)`` -> metrics.csv +
    TensorBoard; ``.close()``.
Errors (``sslcore.errors``)
    ``SSLCoreError`` (a ``ValueError``): bad input, message is one line naming the file.

Evaluation (``sslcore.evaluate``, ``sslcore.knn``, ``sslcore.linear_probe``)
    ``extract_features(backbone, uint8_images, view_config, device)``, ``evaluate_backbone(...)`` ->
    {"knn_acc", "linear_acc"}; ``knn_predict`` / ``knn_accuracy`` (weighted, k=200, t=0.1);
    ``linear_probe(train_x, train_y, test_x, test_y)``; ``stratified_split(labels)``.
Data (``sslcore.data``)
    ``ImageFolder(root, size, channels=None)``: recursive, labels from sub-folder names, ``.images()``.

The SSL parts: ``sslcore.losses`` (``nt_xent``, ``info_nce``/``queue_logits``, ``ddm``, ``distill_mse``),
``sslcore.queue.KeyQueue``, ``sslcore.momentum``, ``sslcore.shuffle_bn`` (MoCo's shuffling BN:
``SplitBatchNorm``, ``split_batchnorm``, ``shuffled_forward``), ``sslcore.augment`` (batched uint8 ->
float views: ``ViewConfig``, ``ViewPipeline``, ``line_drawing_config``, ``multicrop_configs``, ``normalize``,
``channel_stats``), ``sslcore.methods`` (``SimCLR``, ``CLSA``, ``DisCo``, ``build_method``),
``sslcore.teacher.load_teacher``, ``sslcore.engine.Trainer``.

Pretraining: ``sslcore.pretrain.run_pretraining(PretrainConfig(method, data, ...))`` writes OUT/last.pt,
metrics.csv, tensorboard/, eval.json, config.json and backbone.safetensors (+ .json; metadata: backbone,
in_channels, small_input, method, image_size, line_drawing, mean, std, step, head). The
``spare3d pretrain`` command is a thin wrapper around it; under torchrun every rank runs it.
"""
