"""The local broker's ACLs, from the one computation in o2c.contracts.access (deploy/k8s/generate.py writes the
same grants as Strimzi KafkaUsers). Run by deploy/local/stack.sh as the admin user (O2C_KAFKA_SASL_* in the
environment); creating an ACL that exists is a no-op, so every run is idempotent.

    kafka_access.py spec                 print every grant (stack.sh hashes it: applied again only when it changes)
    kafka_access.py apply                the seven services' users and the test fixtures' user
    kafka_access.py partner NAME [PFX]   a partner's user: its own topic (under a test run's prefix), its groups
    kafka_access.py topics               every topic the user sees, one a line (stack.sh's readiness probe)
"""

from __future__ import annotations

import asyncio
import importlib
import os
import sys
from collections.abc import Iterator

from o2c.contracts.access import Grant, fixture_grants, partner_grants, partner_user, service_grants, service_user
from o2c.contracts.topics import Service
from o2c.kit.messaging.kafka_security import kafka_client_options

TEST_USER = "o2c-test"

RESOURCE = {"topic": 2, "group": 3, "cluster": 4}
PATTERN = {"literal": 3, "prefixed": 4}
OPERATION = {"All": 2, "Read": 3, "Write": 4, "Create": 5, "Delete": 6, "Describe": 8, "DescribeConfigs": 10,
             "AlterConfigs": 11}
ALLOW = 3
ANY = 1


def consumes(service: Service) -> list[str]:
    return list(importlib.import_module(f"o2c.{service.value}.app").DEFINITION.consumed_topics())


def everyone() -> Iterator[tuple[str, Grant]]:
    for service in Service:
        for grant in service_grants(service, consumes(service)):
            yield service_user(service), grant
    for grant in fixture_grants():
        yield TEST_USER, grant


async def apply(bindings: list[tuple[str, Grant]], *, prune: bool) -> None:
    """Create every binding; with `prune`, first delete those users' bindings the grants no longer hold (a topic
    left the registry, a group pattern narrowed), so the broker holds exactly the computed grants."""
    from aiokafka.admin import AIOKafkaAdminClient
    from aiokafka.protocol.admin import CreateAclsRequest, DeleteAclsRequest, DescribeAclsRequest

    wanted = {(f"User:{user}", RESOURCE[g.resource], g.name, PATTERN[g.pattern], OPERATION[op])
              for user, g in bindings for op in g.operations}
    admin = AIOKafkaAdminClient(bootstrap_servers=os.environ["O2C_KAFKA_BOOTSTRAP"], client_id="o2c-acls",
                                request_timeout_ms=20000, **kafka_client_options())
    await admin.start()
    try:
        failures = []
        # aiokafka speaks the ACL requests but has no public call for them: one binding per request.
        for principal in sorted({w[0] for w in wanted}) if prune else ():
            found = await admin._send_request(DescribeAclsRequest(ANY, None, ANY, principal, None, ANY, ANY))
            for rtype, name, pattern, acls in found.resources:
                for held, host, operation, permission in acls:
                    if (held, rtype, name, pattern, operation) not in wanted:
                        await admin._send_request(DeleteAclsRequest(rtype, name, pattern, held, host, operation,
                                                                    permission))
        for principal, rtype, name, pattern, operation in sorted(wanted):
            response = await admin._send_request(CreateAclsRequest(rtype, name, pattern, principal, "*", operation,
                                                                   ALLOW))
            for error_code, message in response.creation_responses:
                if error_code:
                    failures.append(f"{principal} {operation} {rtype}:{name}: {error_code} {message}")
        if failures:
            raise SystemExit("could not create ACLs:\n  " + "\n  ".join(failures))
    finally:
        await admin.close()


async def topics() -> list[str]:
    from aiokafka.admin import AIOKafkaAdminClient

    admin = AIOKafkaAdminClient(bootstrap_servers=os.environ["O2C_KAFKA_BOOTSTRAP"], client_id="o2c-stack",
                                request_timeout_ms=5000, **kafka_client_options())
    await admin.start()
    try:
        return sorted(await admin.list_topics())
    finally:
        await admin.close()


def main(argv: list[str]) -> int:
    command = argv[0] if argv else ""
    if command == "spec":
        for user, grant in everyone():
            print(user, grant.resource, grant.pattern, grant.name, ",".join(grant.operations))
    elif command == "apply":
        bindings = list(everyone())
        asyncio.run(apply(bindings, prune=True))
        print(f"{len(bindings)} grants for {len(Service) + 1} users")
    elif command == "topics":
        print("\n".join(asyncio.run(asyncio.wait_for(topics(), 15))))
    elif command == "partner" and len(argv) in (2, 3):
        grants = partner_grants(argv[1], *argv[2:])
        asyncio.run(apply([(partner_user(argv[1]), grant) for grant in grants], prune=True))
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
