"""Lua scripts that make multi-key presence changes atomic in Redis.

Every script takes the key prefix as ``ARGV[1]`` and derives the room's key
names itself (the layout is documented in :mod:`.redis`). Deriving keys
inside a script is fine for a standalone or Sentinel-managed Redis; Redis
Cluster is not supported.
"""

from __future__ import annotations

from typing import Final

_HELPERS: Final = r"""
local prefix = ARGV[1]

local function room_key(room, suffix)
  return prefix .. 'room:' .. room .. ':' .. suffix
end

local function instance_key(instance, suffix)
  return prefix .. 'instance:' .. instance .. ':' .. suffix
end

local function teardown(room)
  local members = redis.call('ZRANGE', room_key(room, 'participants'), 0, -1)
  for _, pid in ipairs(members) do
    redis.call('DEL', room_key(room, 'participant:' .. pid))
  end
  redis.call('DEL',
    room_key(room, 'participants'), room_key(room, 'connected'),
    room_key(room, 'waiting'), room_key(room, 'accepted'),
    room_key(room, 'waiting_control'), room_key(room, 'flags'),
    room_key(room, 'banned'), room_key(room, 'chat'),
    room_key(room, 'private_chat'), room_key(room, 'sequence'),
    room_key(room, 'closes_at'), room_key(room, 'media_publishers'))
end

-- Whether the room is full for `pid` (ARGV-style strings: limit, waived '1'/'0').
-- Counts attached participants other than `pid`, recorders excepted; a waived
-- limit (a moderator arriving) lets `pid` in while no other moderator is joined.
local function is_full(room, pid, limit, waived)
  local others, moderator_present = 0, false
  local waiting, accepted = room_key(room, 'waiting'), room_key(room, 'accepted')
  for _, other in ipairs(redis.call('HKEYS', room_key(room, 'connected'))) do
    if other ~= pid then
      if redis.call('ZSCORE', waiting, other) or redis.call('ZSCORE', accepted, other) then
        others = others + 1
      else
        local kind_role = redis.call('HMGET', room_key(room, 'participant:' .. other),
          'participation_kind', 'role')
        if kind_role[1] ~= '"recorder"' then
          others = others + 1
          if kind_role[2] == '"moderator"' then
            moderator_present = true
          end
        end
      end
    end
  end
  if waived == '1' and not moderator_present then
    return false
  end
  return others >= tonumber(limit)
end

-- Orders joins and arrivals exactly (clock milliseconds would tie).
local function next_sequence(room)
  return redis.call('INCR', room_key(room, 'sequence'))
end

-- Register `pid` as attached to `room` through `instance`.
local function attach(room, pid, instance, heartbeat_ttl_ms)
  local connected = room_key(room, 'connected')
  local holder = redis.call('HGET', connected, pid)
  if holder and holder ~= instance then
    -- Taken over (resumed elsewhere): the old instance must no longer evict it.
    redis.call('SREM', instance_key(holder, 'participants'), room .. '/' .. pid)
  end
  redis.call('HSET', connected, pid, instance)
  redis.call('SADD', instance_key(instance, 'participants'), room .. '/' .. pid)
  -- Registration implies a live heartbeat, or a sweeper could evict at once.
  redis.call('SADD', prefix .. 'instances', instance)
  redis.call('SET', instance_key(instance, 'alive'), '1', 'PX', heartbeat_ttl_ms)
end

-- Detach `pid` from `room`. `owner` = '' detaches whoever holds it.
-- Returns {previous ('joined'|'waiting'|'absent'), participation kind JSON, closed}.
local function detach(room, pid, owner, left_at_json, forget)
  local connected = room_key(room, 'connected')
  local holder = redis.call('HGET', connected, pid)
  if owner ~= '' and holder ~= owner then
    return {'absent', '', 0}
  end
  if holder then
    redis.call('HDEL', connected, pid)
    redis.call('SREM', instance_key(holder, 'participants'), room .. '/' .. pid)
  end
  local participant = room_key(room, 'participant:' .. pid)
  local previous, kind = 'absent', ''
  local was_waiting = redis.call('ZREM', room_key(room, 'waiting'), pid)
    + redis.call('ZREM', room_key(room, 'accepted'), pid)
  if was_waiting > 0 then
    redis.call('HDEL', room_key(room, 'waiting_control'), pid)
    previous = 'waiting'
  elseif holder and redis.call('EXISTS', participant) == 1 then
    previous = 'joined'
    kind = redis.call('HGET', participant, 'participation_kind') or ''
    if left_at_json ~= '' then
      redis.call('HSET', participant, 'left_at', left_at_json)
    end
  end
  if forget then
    redis.call('DEL', participant)
    redis.call('ZREM', room_key(room, 'participants'), pid)
  end
  local closed = 0
  if holder and redis.call('HLEN', connected) == 0 then
    teardown(room)
    closed = 1
  end
  return {previous, kind, closed}
end
"""

JOIN_ROOM: Final = (
    _HELPERS
    + r"""
-- ARGV: prefix, room, pid, instance, heartbeat ttl ms,
--       participant limit ('' = none), limit waived ('1'/'0'),
--       closes_at ('' = none), field, value, ...
-- Returns {1 admitted / 0 refused (room full, nothing changed), closes_at or ''}.
local room, pid = ARGV[2], ARGV[3]
local closes_at_key = room_key(room, 'closes_at')
if ARGV[6] ~= '' and is_full(room, pid, ARGV[6], ARGV[7]) then
  return {0, redis.call('GET', closes_at_key) or ''}
end
local participants = room_key(room, 'participants')
if ARGV[8] ~= '' and redis.call('ZCARD', participants) == 0 then
  -- This join starts the room's session: its time limit starts now.
  redis.call('SET', closes_at_key, ARGV[8], 'NX')
end
attach(room, pid, ARGV[4], ARGV[5])
redis.call('ZREM', room_key(room, 'waiting'), pid)
redis.call('ZREM', room_key(room, 'accepted'), pid)
redis.call('HDEL', room_key(room, 'waiting_control'), pid)
if not redis.call('ZSCORE', participants, pid) then
  redis.call('ZADD', participants, next_sequence(room), pid)
end
local participant = room_key(room, 'participant:' .. pid)
redis.call('DEL', participant)
if #ARGV > 8 then
  redis.call('HSET', participant, unpack(ARGV, 9))
end
return {1, redis.call('GET', closes_at_key) or ''}
"""
)

ENTER_WAITING_ROOM: Final = (
    _HELPERS
    + r"""
-- ARGV: prefix, room, pid, instance, heartbeat ttl ms, control JSON,
--       participant limit ('' = none), limit waived ('1'/'0')
-- Returns 1, or 0 when the room is full (nothing changed).
local room, pid = ARGV[2], ARGV[3]
if ARGV[7] ~= '' and is_full(room, pid, ARGV[7], ARGV[8]) then
  return 0
end
attach(room, pid, ARGV[4], ARGV[5])
redis.call('ZREM', room_key(room, 'accepted'), pid)
local waiting = room_key(room, 'waiting')
if not redis.call('ZSCORE', waiting, pid) then
  redis.call('ZADD', waiting, next_sequence(room), pid)
end
redis.call('HSET', room_key(room, 'waiting_control'), pid, ARGV[6])
return 1
"""
)

LEAVE_ROOM: Final = (
    _HELPERS
    + r"""
-- ARGV: prefix, room, pid, owner instance ('' = any), left_at JSON ('' = keep), forget
return detach(ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6] == '1')
"""
)

UPDATE_PARTICIPANT: Final = (
    _HELPERS
    + r"""
-- ARGV: prefix, room, pid, field, value, ...
local participant = room_key(ARGV[2], 'participant:' .. ARGV[3])
if redis.call('EXISTS', participant) == 0 then
  return 0
end
if #ARGV > 3 then
  redis.call('HSET', participant, unpack(ARGV, 4))
end
return 1
"""
)

ACCEPT_WAITING: Final = (
    _HELPERS
    + r"""
-- ARGV: prefix, room, pid
local room, pid = ARGV[2], ARGV[3]
local arrived = redis.call('ZSCORE', room_key(room, 'waiting'), pid)
if not arrived then
  return 0
end
redis.call('ZREM', room_key(room, 'waiting'), pid)
redis.call('ZADD', room_key(room, 'accepted'), arrived, pid)
return 1
"""
)

TEARDOWN_ROOM: Final = (
    _HELPERS
    + r"""
-- ARGV: prefix, room
local room = ARGV[2]
for _, pid in ipairs(redis.call('HKEYS', room_key(room, 'connected'))) do
  local holder = redis.call('HGET', room_key(room, 'connected'), pid)
  redis.call('SREM', instance_key(holder, 'participants'), room .. '/' .. pid)
end
teardown(room)
return 1
"""
)

EVICT_ONE: Final = (
    _HELPERS
    + r"""
-- ARGV: prefix, dead instance, left_at JSON
-- Pops one participant of a dead instance and detaches it in the same step,
-- so a sweeper crashing half-way cannot leave a participant attached forever.
local dead = ARGV[2]
local member = redis.call('SPOP', instance_key(dead, 'participants'))
if not member then
  return false
end
local separator = string.find(member, '/', 1, true)
local room, pid = string.sub(member, 1, separator - 1), string.sub(member, separator + 1)
local result = detach(room, pid, dead, ARGV[3], false)
local lock = prefix .. 'participant:' .. pid .. ':lock'
local lock_holder = redis.call('GET', lock)
if lock_holder and string.sub(lock_holder, 1, #dead + 1) == dead .. ':' then
  redis.call('DEL', lock)
end
return {room, pid, result[1], result[2], result[3]}
"""
)

FORGET_INSTANCE: Final = (
    _HELPERS
    + r"""
-- ARGV: prefix, instance
local instance = ARGV[2]
if redis.call('EXISTS', instance_key(instance, 'alive')) == 1 then
  return 0
end
if redis.call('SCARD', instance_key(instance, 'participants')) > 0 then
  return 0
end
redis.call('SREM', prefix .. 'instances', instance)
return 1
"""
)

REFRESH_IF_OWNER: Final = r"""
-- KEYS[1]: lock key; ARGV: token, ttl ms
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"""

DELETE_IF_OWNER: Final = r"""
-- KEYS[1]: lock key; ARGV: token
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""

ADJUST_LOAD: Final = r"""
-- KEYS[1]: load hash; ARGV: server, delta. Never below zero.
local load = redis.call('HINCRBY', KEYS[1], ARGV[1], ARGV[2])
if load < 0 then
  redis.call('HSET', KEYS[1], ARGV[1], 0)
  return 0
end
return load
"""
