"""The region gazetteer: cpca's, loaded without pandas and without pkg_resources.

cpca maps an address (here an agency's name) to province, city, county and adcode. Its
`transform` builds a pandas DataFrame for every call (importing pandas: 60% of a short
command's start-up, 1.6 ms per lookup), and importing cpca imports setuptools' pkg_resources
(0.2 s scanning every installed distribution) only to open its own CSV file. Here its
single-address path is called directly, and while cpca is first imported `pkg_resources`
resolves to a stand-in that opens package files with importlib.resources.
"""
from __future__ import annotations

import importlib.resources
import sys
import types
from functools import lru_cache


def _resource_stream(package: str, name: str):
    return importlib.resources.files(package).joinpath(name).open("rb")


@lru_cache(maxsize=1)
def cpca_module():
    """cpca, imported once; pkg_resources is only stood in for when nothing imported it."""
    if "cpca" in sys.modules or "pkg_resources" in sys.modules:
        import cpca

        return cpca
    shim = types.ModuleType("pkg_resources")
    shim.resource_stream = _resource_stream  # all cpca uses of it
    sys.modules["pkg_resources"] = shim
    try:
        import cpca
    finally:
        if sys.modules.get("pkg_resources") is shim:
            del sys.modules["pkg_resources"]
    return cpca


def lookup(address: str) -> tuple[str, str, str, str]:
    """(province, city, county, adcode) of one address, '' where cpca finds none: what
    `cpca.transform([address])` gives in its one row."""
    province, city, county, adcode, _ = read_address(address)
    if not province:
        return "", "", "", ""
    return province, city, county, adcode


def read_row(address: str, positions: bool = False) -> dict:
    """cpca's reading of one address as the dict of its one row (省, 市, 区, 地址, adcode and,
    with `positions`, 省_pos, 市_pos, 区_pos): what `cpca.transform([address],
    pos_sensitive=positions)` gives, without the DataFrame."""
    cpca = cpca_module()
    if hasattr(cpca, "_get_one_addr"):
        return cpca._get_one_addr(address, positions, {})
    # a cpca without the single-address function: its public path
    return cpca.transform([address], pos_sensitive=positions).iloc[0].to_dict()


def read_address(address: str) -> tuple[str, str, str, str, str | None]:
    """(province, city, county, adcode, what is left of the address after the place) as cpca
    reads it; the rest is None where cpca says nothing of it."""
    row = read_row(address)

    def s(v) -> str:
        return "" if v is None or (isinstance(v, float) and v != v) else str(v)

    rest = row.get("地址")
    return (s(row.get("省")), s(row.get("市")), s(row.get("区")), s(row.get("adcode")),
            None if rest is None or (isinstance(rest, float) and rest != rest) else str(rest))
