"""B-rep models through OpenCASCADE: reading STEP, IGES and BREP files, bounding boxes.

STEP files go through the translator's shape healing (ShapeFix), 40% of the reading time on small
parts. Files that OpenCASCADE itself wrote (the header's preprocessor is an "Open CASCADE STEP
processor": `render csg`, CadQuery, build123d, FreeCAD) held valid OCCT shapes, so the shell
orientation and wire self-intersection checks are skipped for them (`OCCT_WRITTEN_SKIPPED_FIXES`:
23 -> 18.5 ms CPU per small CSG solid; same volumes and validity on the CSG solids and the shared real
parts). Wire orientation is still fixed: the reader's wires need it (without it exact HLR loops forever
on some CSG solids). Every other file is healed in full.

Every failure to produce a usable shape becomes a `ModelError` with one line naming the file and the
problem (missing, unknown extension, unreadable or corrupt, no faces or edges).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from OCP.APIHeaderSection import APIHeaderSection_MakeHeader
from OCP.Bnd import Bnd_Box
from OCP.BRep import BRep_Builder
from OCP.BRepBndLib import BRepBndLib
from OCP.BRepTools import BRepTools
from OCP.collections import DataMap_TCollection_AsciiString_TCollection_AsciiString as ParameterMap
from OCP.IFSelect import IFSelect_RetDone
from OCP.IGESControl import IGESControl_Reader
from OCP.STEPControl import STEPControl_Reader
from OCP.TCollection import TCollection_AsciiString
from OCP.TopAbs import TopAbs_EDGE, TopAbs_FACE
from OCP.TopExp import TopExp_Explorer
from OCP.TopoDS import TopoDS_Shape

from render.errors import ModelError

STEP_SUFFIXES: tuple[str, ...] = (".step", ".stp")
IGES_SUFFIXES: tuple[str, ...] = (".iges", ".igs")
BREP_SUFFIXES: tuple[str, ...] = (".brep", ".brp")
BREP_FILE_SUFFIXES: tuple[str, ...] = STEP_SUFFIXES + IGES_SUFFIXES + BREP_SUFFIXES
OCCT_STEP_PROCESSOR = "Open CASCADE STEP processor"
OCCT_WRITTEN_SKIPPED_FIXES: tuple[str, ...] = (
    "FixSelfIntersectionMode",
    "FixIntersectingWiresMode",
    "FixLoopWiresMode",
    "FixSplitFaceMode",
    "FixShellOrientationMode",
)


def is_brep_file(path: str | Path) -> bool:
    """Whether the file's extension (case-insensitive) is one OpenCASCADE reads here."""
    return Path(path).suffix.lower() in BREP_FILE_SUFFIXES


@contextmanager
def quiet_native_output() -> Iterator[None]:
    """Silence OCCT readers, which print parse errors straight to the C++ stdout/stderr (fds 1 and 2)."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = [os.dup(1), os.dup(2)]
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for fd in (*saved, devnull):
            os.close(fd)


def written_by_occt(reader: STEPControl_Reader) -> bool:
    """Whether a read STEP file's header names an Open CASCADE STEP processor as its preprocessor."""
    version = APIHeaderSection_MakeHeader(reader.StepModel()).PreprocessorVersion()
    return version is not None and version.ToCString().startswith(OCCT_STEP_PROCESSOR)


def skip_fixes(reader: STEPControl_Reader, fixes: tuple[str, ...]) -> None:
    """Turn the named ShapeFix modes off for the next transfer (call it after ReadFile: before, the
    reader has no transfer actor to hold them)."""
    parameters = ParameterMap()
    for name in fixes:
        parameters.Bind(TCollection_AsciiString(f"FixShape.{name}"), TCollection_AsciiString("0"))
    reader.SetShapeFixParameters(parameters)


def _read_exchange(reader: STEPControl_Reader | IGESControl_Reader, path: Path, kind: str) -> TopoDS_Shape:
    if reader.ReadFile(str(path)) != IFSelect_RetDone:
        raise ModelError(path, f"unreadable or corrupt {kind} file")
    if isinstance(reader, STEPControl_Reader) and written_by_occt(reader):
        skip_fixes(reader, OCCT_WRITTEN_SKIPPED_FIXES)
    if reader.TransferRoots() == 0:
        raise ModelError(path, f"{kind} file holds no transferable geometry")
    return reader.OneShape()


def _has(shape: TopoDS_Shape, kind: int) -> bool:
    return TopExp_Explorer(shape, kind).More()


def _read(path: Path, suffix: str) -> TopoDS_Shape:
    if suffix in STEP_SUFFIXES:
        return _read_exchange(STEPControl_Reader(), path, "STEP")
    if suffix in IGES_SUFFIXES:
        return _read_exchange(IGESControl_Reader(), path, "IGES")
    shape = TopoDS_Shape()
    try:
        ok = BRepTools.Read_s(shape, str(path), BRep_Builder())
    except Exception as exc:  # OCCT raises Standard_Failure subclasses on malformed input
        raise ModelError(path, f"unreadable or corrupt BREP file ({type(exc).__name__})") from None
    if not ok:
        raise ModelError(path, "unreadable or corrupt BREP file")
    return shape


def load_shape(path: str | Path) -> TopoDS_Shape:
    """Read a .step/.stp, .iges/.igs or .brep/.brp file (extension case-insensitive) into one shape."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in BREP_FILE_SUFFIXES:
        expected = ", ".join(BREP_FILE_SUFFIXES)
        raise ModelError(path, f"unknown extension {path.suffix!r}; expected one of {expected}")
    if not path.is_file():
        raise ModelError(path, "no such file")
    with quiet_native_output():
        shape = _read(path, suffix)
    if shape.IsNull() or not (_has(shape, TopAbs_FACE) or _has(shape, TopAbs_EDGE)):
        raise ModelError(path, "empty shape (no faces or edges)")
    return shape


def shape_bounds(shape: TopoDS_Shape, precise: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """The axis-aligned bounding box (min, max) of the shape's geometry.

    precise: the tight box of the geometry, without tolerance gaps (BRepBndLib.AddOptimal; ~3 ms on a
    small CSG solid, tens of ms on real parts). Otherwise the loose box OCCT keeps for its algorithms
    (vertex and edge tolerances, curves' and surfaces' control points; ~0.2 ms): never smaller than the
    tight box, up to ~1.3x larger on curved parts; good enough to size a discretization tolerance.
    """
    box = Bnd_Box()
    if precise:
        BRepBndLib.AddOptimal_s(shape, box, False, False)
    else:
        BRepBndLib.Add_s(shape, box, False)
    if box.IsVoid():
        raise ValueError("shape has an empty bounding box")
    lo, hi = box.CornerMin(), box.CornerMax()
    return np.array([lo.X(), lo.Y(), lo.Z()]), np.array([hi.X(), hi.Y(), hi.Z()])
