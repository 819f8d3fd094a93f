"""The demo registry: about forty Ningbo centers at every stage of the lifecycle, made from the data files in
`data/demo/` (`generator`) and loaded through the registry's own API, act by act (`loader`)."""

from registry.demo.data import demo_data
from registry.demo.generator import generate_demo_centers
from registry.demo.loader import load_demo
from registry.demo.model import DemoCenter, DemoStep, lifecycle_steps

__all__ = ["DemoCenter", "DemoStep", "demo_data", "generate_demo_centers", "lifecycle_steps", "load_demo"]
