"""The outbox: messages committed with the change they announce, delivered later with retries.

Generic: it knows no feature. `repository` holds its SQL, `deliverer.OutboxDeliverer` delivers
the rows by kind (each feature's delivery, gathered by the composition root), `alerts` is the one
way to alert the administrators, and `jobs` puts the deliverer on the JobQueue.
"""
