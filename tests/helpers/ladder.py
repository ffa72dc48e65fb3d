"""Ladder rows for tests of the CPU path choice (tools/infer.py)."""


def fpn_rows(onnx_fp32, onnx_int8):
    """Ladder rows for FPN, seconds per image (eager fp32: 1)."""
    return [dict(path=path, precision=precision, s_per_img=secs,
                 speedup=1 / secs, agreement=1.0)
            for path, precision, secs in (
                ('eager fp32', 'fp32', 1.0),
                ('ONNX Runtime fp32', 'fp32', onnx_fp32),
                ('ONNX Runtime int8', 'int8', onnx_int8))]
