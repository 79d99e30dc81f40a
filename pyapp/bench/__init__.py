"""`pyapp bench`: pyapp and TF.js 4.22 side by side in one Chromium run (run.py drives it)."""
