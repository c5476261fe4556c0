import time, pytest, cProfile, pstats
from qms.outbox import services
pytestmark = [pytest.mark.django_db(transaction=True)]

def test_probe(broker, redis_server, alpha, login):
    c = login(alpha.owner)
    redis_server.stop()
    for i in range(2):
        t = time.monotonic()
        pr = cProfile.Profile(); pr.enable()
        r = c.post("/o/alpha/settings/members/", {"email": f"x{i}@example.com", "role": "staff", "membership_expires_at": ""})
        pr.disable()
        print("POST", r.status_code, time.monotonic() - t)
        pstats.Stats(pr).sort_stats("tottime").print_stats(12)
