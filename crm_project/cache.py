"""Django's Redis cache, with one client per connection pool.

django.core.cache.backends.redis builds a new `redis.Redis` for every cache call,
and redis-py's constructor copies its table of response callbacks each time: about
0.1 ms, ten times per page (menus, fragments, versions; issue 11). A client holds no
connection of its own (the pool does), so one per pool serves every thread."""

from collections.abc import Callable

from django.core.cache.backends import redis as django_redis


class RedisCacheClient(django_redis.RedisCacheClient):
    _client: type
    _get_connection_pool: Callable

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        clients = self.__dict__.setdefault("_clients", {})
        client = clients.get(id(pool))
        if client is None:
            client = clients[id(pool)] = self._client(connection_pool=pool)
        return client


class RedisCache(django_redis.RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = RedisCacheClient
