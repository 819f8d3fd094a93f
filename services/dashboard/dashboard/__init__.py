"""The TIC console: the web application the bureau, districts, centers, experts and departments work in."""
