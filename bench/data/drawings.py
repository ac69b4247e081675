"""The children's drawings: the folder loader, with the file-name parser and the generator.

File names are read by :mod:`bench.data.stirling`; synthetic collections are written by
:mod:`bench.data.synthetic.drawings`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import pandas as pd

from bench.data.dataset import Dataset
from bench.data.images import check_size, read_image
from bench.data.loading import Decoded, Loader, check_folder, read
from bench.data.stirling import DrawingLabels, is_drawing_name, parse_filename
from bench.data.synthetic.drawings import LATENTS_FILE, generate_drawings
from bench.errors import BenchError

# The drawings' whole public API in one place: the loader, the file-name parser and the
# synthetic generator.
__all__ = [
    "DrawingLabels",
    "MissingLatents",
    "generate_drawings",
    "load_drawings",
    "parse_filename",
    "read_latents",
]


class MissingLatents(BenchError):
    """A drawings folder without the generator's latent parameters (a real collection)."""


def load_drawings(
    folder: str | Path,
    size: tuple[int, int] = (36, 58),
    color: bool = False,
    on_error: Literal["raise", "skip"] = "raise",
    progress: bool = False,
) -> Dataset:
    """Read a folder of Stirling-named drawings into a :class:`Dataset`.

    Parameters
    ----------
    folder : str or Path
        A folder of ``.jpeg``, ``.jpg`` or ``.png`` files (any case); other files are ignored.
    size : (width, height)
        The size every image is reduced to with ``cv2.INTER_AREA``, as the paper did.
    color : bool
        Keep three RGB channels instead of converting to grayscale.
    on_error : {"raise", "skip"}
        What to do with bad files (corrupt, truncated, unreadable, badly named or
        duplicated): ``"raise"`` fails with one error listing the bad files and why (the
        first 50, and how many in all); ``"skip"`` leaves them out and warns with the same
        list.
    progress : bool
        Show a progress bar while decoding.

    Returns
    -------
    Dataset
        ``images`` float32 in [0, 1] of shape (N, height, width) or (N, height, width, 3),
        sorted by file name; ``labels`` with the parsed fields (``subject`` is the raw
        code ``m``, ``w`` or ``s``), ``who_is_drawn`` (``"female"`` or ``"male"``; for a
        self-portrait the author's sex), ``self_portrait`` (bool), ``file``, ``group``
        (the child, as ``category-id``) and the original ``width`` and ``height``.
    """
    size = check_size(size)
    return read(_DrawingsLoader(Path(folder), size, color), on_error, progress)


class _DrawingsLoader(Loader):
    """The drawings' parts: the folder's images, labelled by their Stirling names."""

    def __init__(self, folder: Path, size: tuple[int, int], color: bool) -> None:
        shape = (size[1], size[0], 3) if color else (size[1], size[0])
        super().__init__(folder, shape, "drawings")
        self.size, self.color = size, color

    def find(self) -> tuple[pd.DataFrame, list[tuple[str, str]]]:
        bad: list[tuple[str, str]] = []
        rows: list[dict[str, object]] = []
        seen: dict[str, str] = {}
        for path in _image_files(self.source):
            try:
                labels = parse_filename(path.name)
            except BenchError as error:
                bad.append((path.name, f"bad name: {str(error).split(': ', 1)[1]}"))
                continue
            # Case alone does not make two files: a.JPEG and a.jpeg are one drawing twice.
            key = path.stem.lower()
            if key in seen:
                bad.append((path.name, f"duplicate of {seen[key]}"))
                continue
            seen[key] = path.name
            rows.append(
                {
                    "file": path.name,
                    **labels.row(),
                    "group": f"{labels.age_category}-{labels.child_id}",
                }
            )
        return pd.DataFrame(rows), bad

    def decode(self, index: int, name: str) -> Decoded:
        result = read_image(self.source / name, self.size, self.color)
        if isinstance(result, str):
            return result
        image, (width, height) = result
        return image, {"width": width, "height": height}


def read_latents(folder: str | Path, files: list[str]) -> pd.DataFrame:
    """The generator's latent parameters of ``files``, in that order (one row per file).

    :func:`load_drawings` ignores the file; a reader that wants an oracle's view of the
    drawings (what they were drawn from) asks for it here.

    Parameters
    ----------
    folder : str or Path
        A folder written by :func:`generate_drawings`.
    files : list of str
        File names, e.g. a loaded dataset's ``labels["file"]``.

    Returns
    -------
    DataFrame
        Numeric latent columns (``stage``, ``line_px``, ...), indexed like ``files``.

    Raises
    ------
    MissingLatents
        When the folder has no latents file (a real collection) or it lacks some files.
    """
    path = Path(folder) / LATENTS_FILE
    if not path.is_file():
        raise MissingLatents(
            f"{path}: no latent parameters; only a generated collection has them "
            "(a real folder has no oracle)"
        )
    table = pd.read_csv(path).set_index("file")
    missing = sorted(set(files) - set(table.index))
    if missing:
        raise MissingLatents(f"{path}: no row for {len(missing)} image(s), e.g. {missing[0]}")
    return table.loc[list(files)].reset_index(drop=True)


def _image_files(folder: Path) -> list[Path]:
    check_folder(folder)
    files = sorted(p for p in folder.iterdir() if is_drawing_name(p.name) and not p.is_dir())
    if not files:
        what = "is empty" if not any(folder.iterdir()) else "has no .jpeg, .jpg or .png images"
        raise BenchError(f"{folder}: folder {what}")
    return files
