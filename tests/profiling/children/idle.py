"""Never become ready: idle until killed."""

import time

while True:
    time.sleep(60)
