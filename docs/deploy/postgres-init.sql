-- docs/deploy/docker-compose.yml: the tracker store's database beside the bank's (POSTGRES_DB).
CREATE DATABASE tracker OWNER bank;
