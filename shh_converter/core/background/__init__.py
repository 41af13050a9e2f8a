"""Background removal, and the only package that reaches onnxruntime.

* :mod:`.removal`: the engine's entry point (:func:`.removal.remove_background`)
  and the once-per-batch :func:`.removal.preflight`;
* :mod:`.ai`: U²-Net family models on onnxruntime (sessions, inference, masks);
* :mod:`.flat`: flat-colour removal, no model;
* :mod:`.foreground`: the subject's own colours on soft edges (blur fusion);
* :mod:`.refine`: the optional guided-filter edge refinement;
* :mod:`.models`: the model registry, verified and resumable downloads;
* :mod:`.providers`: which execution provider (GPU or CPU) runs the models.

Nothing heavy is imported here: the window reads the model registry at start-up,
and numpy, Pillow and onnxruntime load only with the modules that need them.
"""
