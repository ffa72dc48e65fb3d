"""The metadata ``tools/deployment/export.py`` stores in an ONNX file (classes,
palette, the test-time resize, what the graph returns, its check at
export), read the one way every tool reads it."""
import json
from typing import Any, Dict, Iterable, Tuple, Union

from ..deploy.policy import verification_of

__all__ = ['read_metadata', 'describe']


def read_metadata(source: Union[str, Any]) -> Dict[str, Any]:
    """The file's metadata, decoded: ``tools/deployment/export.py``'s entries
    (JSON); others, such as ONNX Runtime's quantizer notes in an int8 file, as
    they are.

    Args:
        source: the ONNX file's path (read with the ``onnx`` package, where
            installed, without its weights; else with ONNX Runtime), or an
            open ``onnxruntime.InferenceSession``.
    """
    if hasattr(source, 'get_modelmeta'):
        return _decode(source.get_modelmeta().custom_metadata_map.items())
    try:
        import onnx
    except ImportError:  # a machine with ONNX Runtime only
        import onnxruntime as ort
        session = ort.InferenceSession(str(source),
                                       providers=['CPUExecutionProvider'])
        return read_metadata(session)
    model = onnx.load(str(source), load_external_data=False)
    return _decode((p.key, p.value) for p in model.metadata_props)


def _decode(pairs: Iterable[Tuple[str, str]]) -> Dict[str, Any]:
    meta = {}
    for key, value in pairs:
        try:
            meta[key] = json.loads(value)
        except json.JSONDecodeError:
            meta[key] = value
    return meta


def describe(meta: Dict[str, Any]) -> str:
    """The file's precision and, for int8, its check at export."""
    check = verification_of(meta)
    if meta.get('precision') != 'int8' or check is None:
        return 'float32'
    return check.describe('int8')
