"""The console: static HTML, JS and CSS served by sales at /console/ (no build step)."""
