-- schema fixture v5: made by the program at commit f6c8d2efc6cc9b2142ecf1b3abe67c1c5b6d4fc8 (tests/migrations/make_fixture.py)
--
-- PostgreSQL database dump
--

\restrict JWKKlJzqQNhaH0LGH2iYUzs76dYZnA2FJ3aM4ZdQY2pF038th1sCZ1JGKn8eZhI

-- Dumped from database version 15.20 (Debian 15.20-0+deb12u1)
-- Dumped by pg_dump version 15.20 (Debian 15.20-0+deb12u1)

SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
SET xmloption = content;
SET client_min_messages = warning;
SET row_security = off;

SET default_tablespace = '';

SET default_table_access_method = heap;

--
-- Name: appointment; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.appointment (
    id character varying(40) NOT NULL,
    hall character varying(64) NOT NULL,
    code character varying(16) NOT NULL,
    item character varying(40) NOT NULL,
    "group" character varying(8) NOT NULL,
    capacity_key character varying(48) NOT NULL,
    slot_start timestamp with time zone NOT NULL,
    slot_end timestamp with time zone NOT NULL,
    state character varying(20) NOT NULL,
    person_key character varying(64) NOT NULL,
    id_masked character varying(24) NOT NULL,
    name_masked character varying(40) NOT NULL,
    phone_masked character varying(20) NOT NULL,
    contact_sealed bytea NOT NULL,
    created_at timestamp with time zone NOT NULL,
    ended_at timestamp with time zone,
    checked_in_at timestamp with time zone,
    ticket_id character varying(40),
    note character varying(200) NOT NULL
);


--
-- Name: appointment_person; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.appointment_person (
    hall character varying(64) NOT NULL,
    person_key character varying(64) NOT NULL
);


--
-- Name: appointment_reminder; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.appointment_reminder (
    appointment_id character varying(40) NOT NULL,
    minutes_before integer NOT NULL,
    sent_at timestamp with time zone NOT NULL
);


--
-- Name: appointment_slot; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.appointment_slot (
    hall character varying(64) NOT NULL,
    capacity_key character varying(48) NOT NULL,
    slot_start timestamp with time zone NOT NULL,
    booked integer NOT NULL,
    closed boolean NOT NULL
);


--
-- Name: hall_event; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.hall_event (
    hall character varying(64) NOT NULL,
    seq bigint NOT NULL,
    at timestamp with time zone NOT NULL,
    day date NOT NULL,
    kind character varying(40) NOT NULL,
    ticket_id character varying(40),
    counter integer,
    actor character varying(64),
    data text NOT NULL
);


--
-- Name: hall_head; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.hall_head (
    hall character varying(64) NOT NULL,
    seq bigint NOT NULL
);


--
-- Name: hall_snapshot; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.hall_snapshot (
    hall character varying(64) NOT NULL,
    seq bigint NOT NULL,
    at timestamp with time zone NOT NULL,
    data bytea NOT NULL
);


--
-- Name: post_roster; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.post_roster (
    hall character varying(64) NOT NULL,
    counter integer NOT NULL,
    day date NOT NULL,
    a_staff character varying(64) NOT NULL,
    b_staff character varying(64) NOT NULL,
    set_by character varying(64) NOT NULL,
    set_at timestamp with time zone NOT NULL
);


--
-- Name: print_job; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.print_job (
    id character varying(40) NOT NULL,
    hall character varying(64) NOT NULL,
    device character varying(64) NOT NULL,
    ticket_id character varying(40) NOT NULL,
    number character varying(16) NOT NULL,
    created_at timestamp with time zone NOT NULL,
    state character varying(16) NOT NULL,
    attempts integer NOT NULL,
    fault character varying(16) NOT NULL,
    error character varying(300) NOT NULL,
    done_at timestamp with time zone,
    data bytea NOT NULL
);


--
-- Name: printer_status; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.printer_status (
    hall character varying(64) NOT NULL,
    device character varying(64) NOT NULL,
    state character varying(16) NOT NULL,
    error character varying(300) NOT NULL,
    changed_at timestamp with time zone,
    last_printed_at timestamp with time zone,
    agent_connected boolean NOT NULL,
    agent_seen_at timestamp with time zone
);


--
-- Name: rating; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.rating (
    id character varying(40) NOT NULL,
    hall character varying(64) NOT NULL,
    service bigint NOT NULL,
    ticket_id character varying(40) NOT NULL,
    number character varying(16) NOT NULL,
    item character varying(40) NOT NULL,
    counter integer NOT NULL,
    staff character varying(64) NOT NULL,
    staff_name character varying(64) NOT NULL,
    level character varying(24) NOT NULL,
    score integer NOT NULL,
    reason character varying(40) NOT NULL,
    text character varying(500) NOT NULL,
    channel character varying(16) NOT NULL,
    contact_masked character varying(20) NOT NULL,
    contact_sealed bytea,
    served_at timestamp with time zone NOT NULL,
    rated_at timestamp with time zone NOT NULL,
    day date NOT NULL
);


--
-- Name: rating_case; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.rating_case (
    id character varying(40) NOT NULL,
    hall character varying(64) NOT NULL,
    rating_id character varying(40) NOT NULL,
    state character varying(16) NOT NULL,
    deadline date NOT NULL,
    opened_at timestamp with time zone NOT NULL,
    reply character varying(1000) NOT NULL,
    replied_at timestamp with time zone,
    fix character varying(1000) NOT NULL,
    fixed_at timestamp with time zone,
    appeal character varying(1000) NOT NULL,
    appealed_at timestamp with time zone,
    resolution character varying(1000) NOT NULL,
    closed_at timestamp with time zone,
    handled_by character varying(64) NOT NULL
);


--
-- Name: schema_version; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.schema_version (
    version integer NOT NULL,
    description text NOT NULL,
    applied_at text NOT NULL
);


--
-- Name: schema_version_version_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.schema_version_version_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: schema_version_version_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.schema_version_version_seq OWNED BY public.schema_version.version;


--
-- Name: ticket; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.ticket (
    id character varying(40) NOT NULL,
    hall character varying(64) NOT NULL,
    day date NOT NULL,
    number character varying(16) NOT NULL,
    "group" character varying(8) NOT NULL,
    seq integer NOT NULL,
    item character varying(40) NOT NULL,
    priority character varying(16) NOT NULL,
    state character varying(16) NOT NULL,
    counter integer,
    to_counter integer,
    recalls integer NOT NULL,
    transfers integer NOT NULL,
    channel character varying(32) NOT NULL,
    idempotency_key character varying(80),
    issued_at timestamp with time zone NOT NULL,
    called_at timestamp with time zone,
    started_at timestamp with time zone,
    missed_at timestamp with time zone,
    ended_at timestamp with time zone,
    appointment_slot timestamp with time zone,
    updated_seq bigint NOT NULL
);


--
-- Name: schema_version version; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.schema_version ALTER COLUMN version SET DEFAULT nextval('public.schema_version_version_seq'::regclass);


--
-- Data for Name: appointment; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.appointment VALUES ('Gb6ApBBzKQjbQGLX', 'demo', 'X3QSNFZQ', 'QY01', 'A', 'group:A', '2026-11-23 03:00:00+00', '2026-11-23 03:30:00+00', 'cancelled', '35a883c5123ca511d6fca1f0f31da00c3f975ff147b5b35e71930d12d4e1fc4b', '3201**********0029', '张*', '138****8002', '\xc5bc9dfab1155d50465d982780735033e5cb8e86f2cf029113e02d0ec89aaa87501662afca50a4a538980a46f007f023f07c367f6fde3a34b6498ab3a705922b8618', '2026-11-23 01:30:00+00', '2026-11-23 01:30:00+00', NULL, NULL, '');
INSERT INTO public.appointment VALUES ('27nZhxttQF8a7Ks2', 'demo', 'G3YR2KFG', 'QY01', 'A', 'group:A', '2026-11-23 02:30:00+00', '2026-11-23 03:00:00+00', 'checked_in', '6bf0ff38b793b3fcd52af4a1e0a20380d302c2468e4d6e4e9a94fd0ecdf123e5', '3201**********0010', '张*', '138****8001', '\xd183c567d7f27d06d3f005453f5d26bdd411bc7b69367e397791505a5e879eeb5de7af13e38097eeeb141b41155d237c6ace143de7f85ccef3bc0948167c86f3bb75', '2026-11-23 01:30:00+00', NULL, '2026-11-23 02:20:00+00', 'urcu38jwHriJ9LaL', '');


--
-- Data for Name: appointment_person; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.appointment_person VALUES ('demo', '6bf0ff38b793b3fcd52af4a1e0a20380d302c2468e4d6e4e9a94fd0ecdf123e5');
INSERT INTO public.appointment_person VALUES ('demo', '35a883c5123ca511d6fca1f0f31da00c3f975ff147b5b35e71930d12d4e1fc4b');


--
-- Data for Name: appointment_reminder; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.appointment_reminder VALUES ('appointment_id-1', 1, '2026-11-21 09:01:00+00');
INSERT INTO public.appointment_reminder VALUES ('appointment_id-2', 2, '2026-11-22 09:02:00+00');


--
-- Data for Name: appointment_slot; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.appointment_slot VALUES ('demo', 'group:A', '2026-11-23 02:30:00+00', 1, false);
INSERT INTO public.appointment_slot VALUES ('demo', 'group:A', '2026-11-23 03:00:00+00', 0, false);


--
-- Data for Name: hall_event; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.hall_event VALUES ('demo', 1, '2026-11-23 01:00:00+00', '2026-11-23', 'day_started', NULL, NULL, NULL, '{"kind":"day_started","day":"2026-11-23","at":"2026-11-23T09:00:00+08:00"}');
INSERT INTO public.hall_event VALUES ('demo', 2, '2026-11-23 01:00:00+00', '2026-11-23', 'counter_defined', NULL, 1, 'system', '{"kind":"counter_defined","counter":1,"spec":{"number":1,"name":"1号 无差别综合窗口","kind":"no_difference","domains":[],"items":[],"profile":null},"at":"2026-11-23T09:00:00+08:00","actor":"system"}');
INSERT INTO public.hall_event VALUES ('demo', 3, '2026-11-23 01:00:00+00', '2026-11-23', 'counter_defined', NULL, 2, 'system', '{"kind":"counter_defined","counter":2,"spec":{"number":2,"name":"2号 无差别综合窗口","kind":"no_difference","domains":[],"items":[],"profile":null},"at":"2026-11-23T09:00:00+08:00","actor":"system"}');
INSERT INTO public.hall_event VALUES ('demo', 4, '2026-11-23 01:00:00+00', '2026-11-23', 'counter_defined', NULL, 3, 'system', '{"kind":"counter_defined","counter":3,"spec":{"number":3,"name":"3号 无差别综合窗口","kind":"no_difference","domains":[],"items":[],"profile":null},"at":"2026-11-23T09:00:00+08:00","actor":"system"}');
INSERT INTO public.hall_event VALUES ('demo', 5, '2026-11-23 01:00:00+00', '2026-11-23', 'counter_defined', NULL, 4, 'system', '{"kind":"counter_defined","counter":4,"spec":{"number":4,"name":"4号 无差别综合窗口","kind":"no_difference","domains":[],"items":[],"profile":null},"at":"2026-11-23T09:00:00+08:00","actor":"system"}');
INSERT INTO public.hall_event VALUES ('demo', 6, '2026-11-23 01:00:00+00', '2026-11-23', 'counter_defined', NULL, 5, 'system', '{"kind":"counter_defined","counter":5,"spec":{"number":5,"name":"5号 无差别综合窗口","kind":"no_difference","domains":[],"items":[],"profile":null},"at":"2026-11-23T09:00:00+08:00","actor":"system"}');
INSERT INTO public.hall_event VALUES ('demo', 7, '2026-11-23 01:00:00+00', '2026-11-23', 'counter_defined', NULL, 6, 'system', '{"kind":"counter_defined","counter":6,"spec":{"number":6,"name":"6号 企业服务窗口","kind":"domain","domains":["enterprise"],"items":[],"profile":null},"at":"2026-11-23T09:00:00+08:00","actor":"system"}');
INSERT INTO public.hall_event VALUES ('demo', 8, '2026-11-23 01:00:00+00', '2026-11-23', 'counter_defined', NULL, 7, 'system', '{"kind":"counter_defined","counter":7,"spec":{"number":7,"name":"7号 企业服务窗口","kind":"domain","domains":["enterprise"],"items":[],"profile":null},"at":"2026-11-23T09:00:00+08:00","actor":"system"}');
INSERT INTO public.hall_event VALUES ('demo', 9, '2026-11-23 01:00:00+00', '2026-11-23', 'counter_defined', NULL, 8, 'system', '{"kind":"counter_defined","counter":8,"spec":{"number":8,"name":"8号 社保医保窗口","kind":"domain","domains":["social"],"items":[],"profile":null},"at":"2026-11-23T09:00:00+08:00","actor":"system"}');
INSERT INTO public.hall_event VALUES ('demo', 10, '2026-11-23 01:00:00+00', '2026-11-23', 'counter_defined', NULL, 9, 'system', '{"kind":"counter_defined","counter":9,"spec":{"number":9,"name":"9号 不动产登记窗口","kind":"domain","domains":["property","housing_fund"],"items":[],"profile":null},"at":"2026-11-23T09:00:00+08:00","actor":"system"}');
INSERT INTO public.hall_event VALUES ('demo', 11, '2026-11-23 01:00:00+00', '2026-11-23', 'counter_defined', NULL, 10, 'system', '{"kind":"counter_defined","counter":10,"spec":{"number":10,"name":"10号 公积金窗口","kind":"domain","domains":["property","housing_fund"],"items":[],"profile":"fund_first"},"at":"2026-11-23T09:00:00+08:00","actor":"system"}');
INSERT INTO public.hall_event VALUES ('demo', 12, '2026-11-23 01:00:00+00', '2026-11-23', 'counter_defined', NULL, 11, 'system', '{"kind":"counter_defined","counter":11,"spec":{"number":11,"name":"11号 税务窗口","kind":"domain","domains":["tax"],"items":[],"profile":null},"at":"2026-11-23T09:00:00+08:00","actor":"system"}');
INSERT INTO public.hall_event VALUES ('demo', 13, '2026-11-23 01:00:00+00', '2026-11-23', 'counter_defined', NULL, 12, 'system', '{"kind":"counter_defined","counter":12,"spec":{"number":12,"name":"12号 户政窗口","kind":"domain","domains":["household"],"items":[],"profile":null},"at":"2026-11-23T09:00:00+08:00","actor":"system"}');
INSERT INTO public.hall_event VALUES ('demo', 14, '2026-11-23 01:00:00+00', '2026-11-23', 'counter_defined', NULL, 13, 'system', '{"kind":"counter_defined","counter":13,"spec":{"number":13,"name":"13号 跨省通办窗口","kind":"cross_province","domains":[],"items":[],"profile":null},"at":"2026-11-23T09:00:00+08:00","actor":"system"}');
INSERT INTO public.hall_event VALUES ('demo', 15, '2026-11-23 01:00:00+00', '2026-11-23', 'counter_defined', NULL, 14, 'system', '{"kind":"counter_defined","counter":14,"spec":{"number":14,"name":"14号 统一出件窗口","kind":"pickup","domains":[],"items":[],"profile":null},"at":"2026-11-23T09:00:00+08:00","actor":"system"}');
INSERT INTO public.hall_event VALUES ('demo', 16, '2026-11-23 01:00:00+00', '2026-11-23', 'staff_signed_in', NULL, 1, 'zhangwei', '{"kind":"staff_signed_in","counter":1,"staff":"zhangwei","staff_name":"张伟","at":"2026-11-23T09:00:00+08:00","actor":"zhangwei"}');
INSERT INTO public.hall_event VALUES ('demo', 17, '2026-11-23 01:00:00+00', '2026-11-23', 'counter_opened', NULL, 1, 'zhangwei', '{"kind":"counter_opened","counter":1,"at":"2026-11-23T09:00:00+08:00","actor":"zhangwei"}');
INSERT INTO public.hall_event VALUES ('demo', 18, '2026-11-23 01:00:00+00', '2026-11-23', 'ticket_issued', 'JQloUy46JvKosFmY', NULL, 'kiosk-1', '{"kind":"ticket_issued","ticket_id":"JQloUy46JvKosFmY","number":"B001","group":"B","seq":1,"item":"SB01","priority":"walk_in","key":[1795395600000000,18],"idempotency_key":"k0","at":"2026-11-23T09:00:00+08:00","actor":"kiosk-1"}');
INSERT INTO public.hall_event VALUES ('demo', 19, '2026-11-23 01:00:00+00', '2026-11-23', 'ticket_issued', 'g9Qm0xtVZhJhEjUV', NULL, 'kiosk-1', '{"kind":"ticket_issued","ticket_id":"g9Qm0xtVZhJhEjUV","number":"A001","group":"A","seq":1,"item":"QY01","priority":"walk_in","key":[1795395600000000,19],"idempotency_key":"k1","at":"2026-11-23T09:00:00+08:00","actor":"kiosk-1"}');
INSERT INTO public.hall_event VALUES ('demo', 20, '2026-11-23 01:00:00+00', '2026-11-23', 'ticket_issued', '18XpxM9snD0VBwNt', NULL, 'kiosk-1', '{"kind":"ticket_issued","ticket_id":"18XpxM9snD0VBwNt","number":"B002","group":"B","seq":2,"item":"SB01","priority":"walk_in","key":[1795395600000000,20],"idempotency_key":"k2","at":"2026-11-23T09:00:00+08:00","actor":"kiosk-1"}');
INSERT INTO public.hall_event VALUES ('demo', 21, '2026-11-23 01:00:00+00', '2026-11-23', 'ticket_issued', 'WJynbXxMzx0IOWhn', NULL, 'kiosk-1', '{"kind":"ticket_issued","ticket_id":"WJynbXxMzx0IOWhn","number":"C001","group":"C","seq":1,"item":"BD01","priority":"walk_in","key":[1795395600000000,21],"idempotency_key":"k3","at":"2026-11-23T09:00:00+08:00","actor":"kiosk-1"}');
INSERT INTO public.hall_event VALUES ('demo', 22, '2026-11-23 01:00:00+00', '2026-11-23', 'ticket_issued', 'DxUAuHi6zhuSV2CU', NULL, 'kiosk-1', '{"kind":"ticket_issued","ticket_id":"DxUAuHi6zhuSV2CU","number":"B003","group":"B","seq":3,"item":"SB02","priority":"walk_in","key":[1795395600000000,22],"idempotency_key":"k4","at":"2026-11-23T09:00:00+08:00","actor":"kiosk-1"}');
INSERT INTO public.hall_event VALUES ('demo', 23, '2026-11-23 01:00:00+00', '2026-11-23', 'ticket_issued', 'cXk0L9HYvQUKmrQv', NULL, 'kiosk-1', '{"kind":"ticket_issued","ticket_id":"cXk0L9HYvQUKmrQv","number":"A002","group":"A","seq":2,"item":"QY02","priority":"walk_in","key":[1795395600000000,23],"idempotency_key":"k5","at":"2026-11-23T09:00:00+08:00","actor":"kiosk-1"}');
INSERT INTO public.hall_event VALUES ('demo', 24, '2026-11-23 01:04:00+00', '2026-11-23', 'ticket_called', 'JQloUy46JvKosFmY', 1, 'zhangwei', '{"kind":"ticket_called","ticket_id":"JQloUy46JvKosFmY","counter":1,"at":"2026-11-23T09:04:00+08:00","actor":"zhangwei"}');
INSERT INTO public.hall_event VALUES ('demo', 25, '2026-11-23 01:04:00+00', '2026-11-23', 'service_started', 'JQloUy46JvKosFmY', 1, 'zhangwei', '{"kind":"service_started","ticket_id":"JQloUy46JvKosFmY","counter":1,"at":"2026-11-23T09:04:00+08:00","actor":"zhangwei"}');
INSERT INTO public.hall_event VALUES ('demo', 26, '2026-11-23 01:10:00+00', '2026-11-23', 'service_completed', 'JQloUy46JvKosFmY', 1, 'zhangwei', '{"kind":"service_completed","ticket_id":"JQloUy46JvKosFmY","counter":1,"duration_seconds":360.0,"item_seconds":528.0,"at":"2026-11-23T09:10:00+08:00","actor":"zhangwei"}');
INSERT INTO public.hall_event VALUES ('demo', 27, '2026-11-23 01:14:00+00', '2026-11-23', 'ticket_called', 'g9Qm0xtVZhJhEjUV', 1, 'zhangwei', '{"kind":"ticket_called","ticket_id":"g9Qm0xtVZhJhEjUV","counter":1,"at":"2026-11-23T09:14:00+08:00","actor":"zhangwei"}');
INSERT INTO public.hall_event VALUES ('demo', 28, '2026-11-23 01:14:00+00', '2026-11-23', 'service_started', 'g9Qm0xtVZhJhEjUV', 1, 'zhangwei', '{"kind":"service_started","ticket_id":"g9Qm0xtVZhJhEjUV","counter":1,"at":"2026-11-23T09:14:00+08:00","actor":"zhangwei"}');
INSERT INTO public.hall_event VALUES ('demo', 29, '2026-11-23 01:20:00+00', '2026-11-23', 'service_completed', 'g9Qm0xtVZhJhEjUV', 1, 'zhangwei', '{"kind":"service_completed","ticket_id":"g9Qm0xtVZhJhEjUV","counter":1,"duration_seconds":360.0,"item_seconds":948.0,"at":"2026-11-23T09:20:00+08:00","actor":"zhangwei"}');
INSERT INTO public.hall_event VALUES ('demo', 32, '2026-11-23 01:30:00+00', '2026-11-23', 'service_completed', '18XpxM9snD0VBwNt', 1, 'zhangwei', '{"kind":"service_completed","ticket_id":"18XpxM9snD0VBwNt","counter":1,"duration_seconds":360.0,"item_seconds":477.59999999999997,"at":"2026-11-23T09:30:00+08:00","actor":"zhangwei"}');
INSERT INTO public.hall_event VALUES ('demo', 35, '2026-11-23 01:30:00+00', '2026-11-23', 'ticket_missed', 'WJynbXxMzx0IOWhn', 1, 'zhangwei', '{"kind":"ticket_missed","ticket_id":"WJynbXxMzx0IOWhn","counter":1,"at":"2026-11-23T09:30:00+08:00","actor":"zhangwei"}');
INSERT INTO public.hall_event VALUES ('demo', 38, '2026-11-23 01:30:00+00', '2026-11-23', 'counter_paused', NULL, 1, 'zhangwei', '{"kind":"counter_paused","counter":1,"reason":"lunch","at":"2026-11-23T09:30:00+08:00","actor":"zhangwei"}');
INSERT INTO public.hall_event VALUES ('demo', 30, '2026-11-23 01:24:00+00', '2026-11-23', 'ticket_called', '18XpxM9snD0VBwNt', 1, 'zhangwei', '{"kind":"ticket_called","ticket_id":"18XpxM9snD0VBwNt","counter":1,"at":"2026-11-23T09:24:00+08:00","actor":"zhangwei"}');
INSERT INTO public.hall_event VALUES ('demo', 33, '2026-11-23 01:30:00+00', '2026-11-23', 'ticket_called', 'WJynbXxMzx0IOWhn', 1, 'zhangwei', '{"kind":"ticket_called","ticket_id":"WJynbXxMzx0IOWhn","counter":1,"at":"2026-11-23T09:30:00+08:00","actor":"zhangwei"}');
INSERT INTO public.hall_event VALUES ('demo', 36, '2026-11-23 01:30:00+00', '2026-11-23', 'ticket_called', 'DxUAuHi6zhuSV2CU', 1, 'zhangwei', '{"kind":"ticket_called","ticket_id":"DxUAuHi6zhuSV2CU","counter":1,"at":"2026-11-23T09:30:00+08:00","actor":"zhangwei"}');
INSERT INTO public.hall_event VALUES ('demo', 39, '2026-11-23 02:20:00+00', '2026-11-23', 'ticket_issued', 'urcu38jwHriJ9LaL', NULL, 'kiosk-1', '{"kind":"ticket_issued","ticket_id":"urcu38jwHriJ9LaL","number":"A003","group":"A","seq":3,"item":"QY01","priority":"appointment","key":[1795401000000000,39],"appointment_slot":"2026-11-23T10:30:00+08:00","channel":"appointment","at":"2026-11-23T10:20:00+08:00","actor":"kiosk-1"}');
INSERT INTO public.hall_event VALUES ('demo', 31, '2026-11-23 01:24:00+00', '2026-11-23', 'service_started', '18XpxM9snD0VBwNt', 1, 'zhangwei', '{"kind":"service_started","ticket_id":"18XpxM9snD0VBwNt","counter":1,"at":"2026-11-23T09:24:00+08:00","actor":"zhangwei"}');
INSERT INTO public.hall_event VALUES ('demo', 34, '2026-11-23 01:30:00+00', '2026-11-23', 'ticket_recalled', 'WJynbXxMzx0IOWhn', 1, 'zhangwei', '{"kind":"ticket_recalled","ticket_id":"WJynbXxMzx0IOWhn","counter":1,"recalls":1,"at":"2026-11-23T09:30:00+08:00","actor":"zhangwei"}');
INSERT INTO public.hall_event VALUES ('demo', 37, '2026-11-23 01:30:00+00', '2026-11-23', 'ticket_transferred', 'DxUAuHi6zhuSV2CU', 1, 'zhangwei', '{"kind":"ticket_transferred","ticket_id":"DxUAuHi6zhuSV2CU","counter":1,"item":"SB01","at":"2026-11-23T09:30:00+08:00","actor":"zhangwei"}');
INSERT INTO public.hall_event VALUES ('demo', 40, '2026-11-24 00:45:00+00', '2026-11-24', 'day_started', NULL, NULL, NULL, '{"kind":"day_started","day":"2026-11-24","expired":["WJynbXxMzx0IOWhn","DxUAuHi6zhuSV2CU","cXk0L9HYvQUKmrQv","urcu38jwHriJ9LaL"],"expired_at":"2026-11-24T00:00:00+08:00","at":"2026-11-24T08:45:00+08:00"}');
INSERT INTO public.hall_event VALUES ('demo', 41, '2026-11-24 00:45:00+00', '2026-11-24', 'ticket_issued', 'FDOJE3gSVKGP3oLw', NULL, 'kiosk-1', '{"kind":"ticket_issued","ticket_id":"FDOJE3gSVKGP3oLw","number":"B001","group":"B","seq":1,"item":"SB01","priority":"walk_in","key":[1795481100000000,41],"at":"2026-11-24T08:45:00+08:00","actor":"kiosk-1"}');


--
-- Data for Name: hall_head; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.hall_head VALUES ('demo', 41);


--
-- Data for Name: hall_snapshot; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.hall_snapshot VALUES ('demo', 15, '2026-11-23 01:00:00+00', '\x87a468616c6ca464656d6fa37365710fa3646179aa323032362d31312d3233a77469636b65747390a8636f756e746572739e89a47370656386a66e756d62657201a46e616d65ba31e58fb720e697a0e5b7aee588abe7bbbce59088e7aa97e58fa3a46b696e64ad6e6f5f646966666572656e6365a7646f6d61696e7390a56974656d7390a770726f66696c65c0a8626173656c696e6586a66e756d62657201a46e616d65ba31e58fb720e697a0e5b7aee588abe7bbbce59088e7aa97e58fa3a46b696e64ad6e6f5f646966666572656e6365a7646f6d61696e7390a56974656d7390a770726f66696c65c0a57374617465a6636c6f736564ab73746174655f73696e6365d6ff6b039010ac70617573655f726561736f6ea0a57374616666c0aa73746166665f6e616d65a0a763757272656e74c0a67061726b65649089a47370656386a66e756d62657202a46e616d65ba32e58fb720e697a0e5b7aee588abe7bbbce59088e7aa97e58fa3a46b696e64ad6e6f5f646966666572656e6365a7646f6d61696e7390a56974656d7390a770726f66696c65c0a8626173656c696e6586a66e756d62657202a46e616d65ba32e58fb720e697a0e5b7aee588abe7bbbce59088e7aa97e58fa3a46b696e64ad6e6f5f646966666572656e6365a7646f6d61696e7390a56974656d7390a770726f66696c65c0a57374617465a6636c6f736564ab73746174655f73696e6365d6ff6b039010ac70617573655f726561736f6ea0a57374616666c0aa73746166665f6e616d65a0a763757272656e74c0a67061726b65649089a47370656386a66e756d62657203a46e616d65ba33e58fb720e697a0e5b7aee588abe7bbbce59088e7aa97e58fa3a46b696e64ad6e6f5f646966666572656e6365a7646f6d61696e7390a56974656d7390a770726f66696c65c0a8626173656c696e6586a66e756d62657203a46e616d65ba33e58fb720e697a0e5b7aee588abe7bbbce59088e7aa97e58fa3a46b696e64ad6e6f5f646966666572656e6365a7646f6d61696e7390a56974656d7390a770726f66696c65c0a57374617465a6636c6f736564ab73746174655f73696e6365d6ff6b039010ac70617573655f726561736f6ea0a57374616666c0aa73746166665f6e616d65a0a763757272656e74c0a67061726b65649089a47370656386a66e756d62657204a46e616d65ba34e58fb720e697a0e5b7aee588abe7bbbce59088e7aa97e58fa3a46b696e64ad6e6f5f646966666572656e6365a7646f6d61696e7390a56974656d7390a770726f66696c65c0a8626173656c696e6586a66e756d62657204a46e616d65ba34e58fb720e697a0e5b7aee588abe7bbbce59088e7aa97e58fa3a46b696e64ad6e6f5f646966666572656e6365a7646f6d61696e7390a56974656d7390a770726f66696c65c0a57374617465a6636c6f736564ab73746174655f73696e6365d6ff6b039010ac70617573655f726561736f6ea0a57374616666c0aa73746166665f6e616d65a0a763757272656e74c0a67061726b65649089a47370656386a66e756d62657205a46e616d65ba35e58fb720e697a0e5b7aee588abe7bbbce59088e7aa97e58fa3a46b696e64ad6e6f5f646966666572656e6365a7646f6d61696e7390a56974656d7390a770726f66696c65c0a8626173656c696e6586a66e756d62657205a46e616d65ba35e58fb720e697a0e5b7aee588abe7bbbce59088e7aa97e58fa3a46b696e64ad6e6f5f646966666572656e6365a7646f6d61696e7390a56974656d7390a770726f66696c65c0a57374617465a6636c6f736564ab73746174655f73696e6365d6ff6b039010ac70617573655f726561736f6ea0a57374616666c0aa73746166665f6e616d65a0a763757272656e74c0a67061726b65649089a47370656386a66e756d62657206a46e616d65b736e58fb720e4bc81e4b89ae69c8de58aa1e7aa97e58fa3a46b696e64a6646f6d61696ea7646f6d61696e7391aa656e7465727072697365a56974656d7390a770726f66696c65c0a8626173656c696e6586a66e756d62657206a46e616d65b736e58fb720e4bc81e4b89ae69c8de58aa1e7aa97e58fa3a46b696e64a6646f6d61696ea7646f6d61696e7391aa656e7465727072697365a56974656d7390a770726f66696c65c0a57374617465a6636c6f736564ab73746174655f73696e6365d6ff6b039010ac70617573655f726561736f6ea0a57374616666c0aa73746166665f6e616d65a0a763757272656e74c0a67061726b65649089a47370656386a66e756d62657207a46e616d65b737e58fb720e4bc81e4b89ae69c8de58aa1e7aa97e58fa3a46b696e64a6646f6d61696ea7646f6d61696e7391aa656e7465727072697365a56974656d7390a770726f66696c65c0a8626173656c696e6586a66e756d62657207a46e616d65b737e58fb720e4bc81e4b89ae69c8de58aa1e7aa97e58fa3a46b696e64a6646f6d61696ea7646f6d61696e7391aa656e7465727072697365a56974656d7390a770726f66696c65c0a57374617465a6636c6f736564ab73746174655f73696e6365d6ff6b039010ac70617573655f726561736f6ea0a57374616666c0aa73746166665f6e616d65a0a763757272656e74c0a67061726b65649089a47370656386a66e756d62657208a46e616d65b738e58fb720e7a4bee4bf9de58cbbe4bf9de7aa97e58fa3a46b696e64a6646f6d61696ea7646f6d61696e7391a6736f6369616ca56974656d7390a770726f66696c65c0a8626173656c696e6586a66e756d62657208a46e616d65b738e58fb720e7a4bee4bf9de58cbbe4bf9de7aa97e58fa3a46b696e64a6646f6d61696ea7646f6d61696e7391a6736f6369616ca56974656d7390a770726f66696c65c0a57374617465a6636c6f736564ab73746174655f73696e6365d6ff6b039010ac70617573655f726561736f6ea0a57374616666c0aa73746166665f6e616d65a0a763757272656e74c0a67061726b65649089a47370656386a66e756d62657209a46e616d65ba39e58fb720e4b88de58aa8e4baa7e799bbe8aeb0e7aa97e58fa3a46b696e64a6646f6d61696ea7646f6d61696e7392a870726f7065727479ac686f7573696e675f66756e64a56974656d7390a770726f66696c65c0a8626173656c696e6586a66e756d62657209a46e616d65ba39e58fb720e4b88de58aa8e4baa7e799bbe8aeb0e7aa97e58fa3a46b696e64a6646f6d61696ea7646f6d61696e7392a870726f7065727479ac686f7573696e675f66756e64a56974656d7390a770726f66696c65c0a57374617465a6636c6f736564ab73746174655f73696e6365d6ff6b039010ac70617573655f726561736f6ea0a57374616666c0aa73746166665f6e616d65a0a763757272656e74c0a67061726b65649089a47370656386a66e756d6265720aa46e616d65b53130e58fb720e585ace7a7afe98791e7aa97e58fa3a46b696e64a6646f6d61696ea7646f6d61696e7392a870726f7065727479ac686f7573696e675f66756e64a56974656d7390a770726f66696c65aa66756e645f6669727374a8626173656c696e6586a66e756d6265720aa46e616d65b53130e58fb720e585ace7a7afe98791e7aa97e58fa3a46b696e64a6646f6d61696ea7646f6d61696e7392a870726f7065727479ac686f7573696e675f66756e64a56974656d7390a770726f66696c65aa66756e645f6669727374a57374617465a6636c6f736564ab73746174655f73696e6365d6ff6b039010ac70617573655f726561736f6ea0a57374616666c0aa73746166665f6e616d65a0a763757272656e74c0a67061726b65649089a47370656386a66e756d6265720ba46e616d65b23131e58fb720e7a88ee58aa1e7aa97e58fa3a46b696e64a6646f6d61696ea7646f6d61696e7391a3746178a56974656d7390a770726f66696c65c0a8626173656c696e6586a66e756d6265720ba46e616d65b23131e58fb720e7a88ee58aa1e7aa97e58fa3a46b696e64a6646f6d61696ea7646f6d61696e7391a3746178a56974656d7390a770726f66696c65c0a57374617465a6636c6f736564ab73746174655f73696e6365d6ff6b039010ac70617573655f726561736f6ea0a57374616666c0aa73746166665f6e616d65a0a763757272656e74c0a67061726b65649089a47370656386a66e756d6265720ca46e616d65b23132e58fb720e688b7e694bfe7aa97e58fa3a46b696e64a6646f6d61696ea7646f6d61696e7391a9686f757365686f6c64a56974656d7390a770726f66696c65c0a8626173656c696e6586a66e756d6265720ca46e616d65b23132e58fb720e688b7e694bfe7aa97e58fa3a46b696e64a6646f6d61696ea7646f6d61696e7391a9686f757365686f6c64a56974656d7390a770726f66696c65c0a57374617465a6636c6f736564ab73746174655f73696e6365d6ff6b039010ac70617573655f726561736f6ea0a57374616666c0aa73746166665f6e616d65a0a763757272656e74c0a67061726b65649089a47370656386a66e756d6265720da46e616d65b83133e58fb720e8b7a8e79c81e9809ae58a9ee7aa97e58fa3a46b696e64ae63726f73735f70726f76696e6365a7646f6d61696e7390a56974656d7390a770726f66696c65c0a8626173656c696e6586a66e756d6265720da46e616d65b83133e58fb720e8b7a8e79c81e9809ae58a9ee7aa97e58fa3a46b696e64ae63726f73735f70726f76696e6365a7646f6d61696e7390a56974656d7390a770726f66696c65c0a57374617465a6636c6f736564ab73746174655f73696e6365d6ff6b039010ac70617573655f726561736f6ea0a57374616666c0aa73746166665f6e616d65a0a763757272656e74c0a67061726b65649089a47370656386a66e756d6265720ea46e616d65b83134e58fb720e7bb9fe4b880e587bae4bbb6e7aa97e58fa3a46b696e64a67069636b7570a7646f6d61696e7390a56974656d7390a770726f66696c65c0a8626173656c696e6586a66e756d6265720ea46e616d65b83134e58fb720e7bb9fe4b880e587bae4bbb6e7aa97e58fa3a46b696e64a67069636b7570a7646f6d61696e7390a56974656d7390a770726f66696c65c0a57374617465a6636c6f736564ab73746174655f73696e6365d6ff6b039010ac70617573655f726561736f6ea0a57374616666c0aa73746166665f6e616d65a0a763757272656e74c0a67061726b656490a967726f75705f73657180af736572766963655f7365636f6e647380');
INSERT INTO public.hall_snapshot VALUES ('demo', 41, '2026-11-24 00:45:00+00', '\x87a468616c6ca464656d6fa373657129a3646179aa323032362d31312d3234a77469636b65747391de0016a26964b046444f4a45336753564b4750336f4c77a66e756d626572a442303031a567726f7570a142a373657101a46974656da453423031a87072696f72697479a777616c6b5f696ea36b657992cf000660fb052a9b0029a96973737565645f6174d6ff6b04de0ca57374617465a777616974696e67a7636f756e746572c0aa746f5f636f756e746572c0a7726563616c6c7300a963616c6c65645f6174c0aa737461727465645f6174c0a96d69737365645f6174c0ac73757370656e6465645f6174c0b173757370656e6465645f7365636f6e6473cb0000000000000000a8656e6465645f6174c0b06170706f696e746d656e745f736c6f74c0af6964656d706f74656e63795f6b6579c0a76368616e6e656ca56b696f736ba97472616e736665727300a8636f756e746572739e89a47370656386a66e756d62657201a46e616d65ba31e58fb720e697a0e5b7aee588abe7bbbce59088e7aa97e58fa3a46b696e64ad6e6f5f646966666572656e6365a7646f6d61696e7390a56974656d7390a770726f66696c65c0a8626173656c696e6586a66e756d62657201a46e616d65ba31e58fb720e697a0e5b7aee588abe7bbbce59088e7aa97e58fa3a46b696e64ad6e6f5f646966666572656e6365a7646f6d61696e7390a56974656d7390a770726f66696c65c0a57374617465a6636c6f736564ab73746174655f73696e6365d6ff6b04de0cac70617573655f726561736f6ea0a57374616666c0aa73746166665f6e616d65a0a763757272656e74c0a67061726b65649089a47370656386a66e756d62657202a46e616d65ba32e58fb720e697a0e5b7aee588abe7bbbce59088e7aa97e58fa3a46b696e64ad6e6f5f646966666572656e6365a7646f6d61696e7390a56974656d7390a770726f66696c65c0a8626173656c696e6586a66e756d62657202a46e616d65ba32e58fb720e697a0e5b7aee588abe7bbbce59088e7aa97e58fa3a46b696e64ad6e6f5f646966666572656e6365a7646f6d61696e7390a56974656d7390a770726f66696c65c0a57374617465a6636c6f736564ab73746174655f73696e6365d6ff6b04de0cac70617573655f726561736f6ea0a57374616666c0aa73746166665f6e616d65a0a763757272656e74c0a67061726b65649089a47370656386a66e756d62657203a46e616d65ba33e58fb720e697a0e5b7aee588abe7bbbce59088e7aa97e58fa3a46b696e64ad6e6f5f646966666572656e6365a7646f6d61696e7390a56974656d7390a770726f66696c65c0a8626173656c696e6586a66e756d62657203a46e616d65ba33e58fb720e697a0e5b7aee588abe7bbbce59088e7aa97e58fa3a46b696e64ad6e6f5f646966666572656e6365a7646f6d61696e7390a56974656d7390a770726f66696c65c0a57374617465a6636c6f736564ab73746174655f73696e6365d6ff6b04de0cac70617573655f726561736f6ea0a57374616666c0aa73746166665f6e616d65a0a763757272656e74c0a67061726b65649089a47370656386a66e756d62657204a46e616d65ba34e58fb720e697a0e5b7aee588abe7bbbce59088e7aa97e58fa3a46b696e64ad6e6f5f646966666572656e6365a7646f6d61696e7390a56974656d7390a770726f66696c65c0a8626173656c696e6586a66e756d62657204a46e616d65ba34e58fb720e697a0e5b7aee588abe7bbbce59088e7aa97e58fa3a46b696e64ad6e6f5f646966666572656e6365a7646f6d61696e7390a56974656d7390a770726f66696c65c0a57374617465a6636c6f736564ab73746174655f73696e6365d6ff6b04de0cac70617573655f726561736f6ea0a57374616666c0aa73746166665f6e616d65a0a763757272656e74c0a67061726b65649089a47370656386a66e756d62657205a46e616d65ba35e58fb720e697a0e5b7aee588abe7bbbce59088e7aa97e58fa3a46b696e64ad6e6f5f646966666572656e6365a7646f6d61696e7390a56974656d7390a770726f66696c65c0a8626173656c696e6586a66e756d62657205a46e616d65ba35e58fb720e697a0e5b7aee588abe7bbbce59088e7aa97e58fa3a46b696e64ad6e6f5f646966666572656e6365a7646f6d61696e7390a56974656d7390a770726f66696c65c0a57374617465a6636c6f736564ab73746174655f73696e6365d6ff6b04de0cac70617573655f726561736f6ea0a57374616666c0aa73746166665f6e616d65a0a763757272656e74c0a67061726b65649089a47370656386a66e756d62657206a46e616d65b736e58fb720e4bc81e4b89ae69c8de58aa1e7aa97e58fa3a46b696e64a6646f6d61696ea7646f6d61696e7391aa656e7465727072697365a56974656d7390a770726f66696c65c0a8626173656c696e6586a66e756d62657206a46e616d65b736e58fb720e4bc81e4b89ae69c8de58aa1e7aa97e58fa3a46b696e64a6646f6d61696ea7646f6d61696e7391aa656e7465727072697365a56974656d7390a770726f66696c65c0a57374617465a6636c6f736564ab73746174655f73696e6365d6ff6b04de0cac70617573655f726561736f6ea0a57374616666c0aa73746166665f6e616d65a0a763757272656e74c0a67061726b65649089a47370656386a66e756d62657207a46e616d65b737e58fb720e4bc81e4b89ae69c8de58aa1e7aa97e58fa3a46b696e64a6646f6d61696ea7646f6d61696e7391aa656e7465727072697365a56974656d7390a770726f66696c65c0a8626173656c696e6586a66e756d62657207a46e616d65b737e58fb720e4bc81e4b89ae69c8de58aa1e7aa97e58fa3a46b696e64a6646f6d61696ea7646f6d61696e7391aa656e7465727072697365a56974656d7390a770726f66696c65c0a57374617465a6636c6f736564ab73746174655f73696e6365d6ff6b04de0cac70617573655f726561736f6ea0a57374616666c0aa73746166665f6e616d65a0a763757272656e74c0a67061726b65649089a47370656386a66e756d62657208a46e616d65b738e58fb720e7a4bee4bf9de58cbbe4bf9de7aa97e58fa3a46b696e64a6646f6d61696ea7646f6d61696e7391a6736f6369616ca56974656d7390a770726f66696c65c0a8626173656c696e6586a66e756d62657208a46e616d65b738e58fb720e7a4bee4bf9de58cbbe4bf9de7aa97e58fa3a46b696e64a6646f6d61696ea7646f6d61696e7391a6736f6369616ca56974656d7390a770726f66696c65c0a57374617465a6636c6f736564ab73746174655f73696e6365d6ff6b04de0cac70617573655f726561736f6ea0a57374616666c0aa73746166665f6e616d65a0a763757272656e74c0a67061726b65649089a47370656386a66e756d62657209a46e616d65ba39e58fb720e4b88de58aa8e4baa7e799bbe8aeb0e7aa97e58fa3a46b696e64a6646f6d61696ea7646f6d61696e7392a870726f7065727479ac686f7573696e675f66756e64a56974656d7390a770726f66696c65c0a8626173656c696e6586a66e756d62657209a46e616d65ba39e58fb720e4b88de58aa8e4baa7e799bbe8aeb0e7aa97e58fa3a46b696e64a6646f6d61696ea7646f6d61696e7392a870726f7065727479ac686f7573696e675f66756e64a56974656d7390a770726f66696c65c0a57374617465a6636c6f736564ab73746174655f73696e6365d6ff6b04de0cac70617573655f726561736f6ea0a57374616666c0aa73746166665f6e616d65a0a763757272656e74c0a67061726b65649089a47370656386a66e756d6265720aa46e616d65b53130e58fb720e585ace7a7afe98791e7aa97e58fa3a46b696e64a6646f6d61696ea7646f6d61696e7392a870726f7065727479ac686f7573696e675f66756e64a56974656d7390a770726f66696c65aa66756e645f6669727374a8626173656c696e6586a66e756d6265720aa46e616d65b53130e58fb720e585ace7a7afe98791e7aa97e58fa3a46b696e64a6646f6d61696ea7646f6d61696e7392a870726f7065727479ac686f7573696e675f66756e64a56974656d7390a770726f66696c65aa66756e645f6669727374a57374617465a6636c6f736564ab73746174655f73696e6365d6ff6b04de0cac70617573655f726561736f6ea0a57374616666c0aa73746166665f6e616d65a0a763757272656e74c0a67061726b65649089a47370656386a66e756d6265720ba46e616d65b23131e58fb720e7a88ee58aa1e7aa97e58fa3a46b696e64a6646f6d61696ea7646f6d61696e7391a3746178a56974656d7390a770726f66696c65c0a8626173656c696e6586a66e756d6265720ba46e616d65b23131e58fb720e7a88ee58aa1e7aa97e58fa3a46b696e64a6646f6d61696ea7646f6d61696e7391a3746178a56974656d7390a770726f66696c65c0a57374617465a6636c6f736564ab73746174655f73696e6365d6ff6b04de0cac70617573655f726561736f6ea0a57374616666c0aa73746166665f6e616d65a0a763757272656e74c0a67061726b65649089a47370656386a66e756d6265720ca46e616d65b23132e58fb720e688b7e694bfe7aa97e58fa3a46b696e64a6646f6d61696ea7646f6d61696e7391a9686f757365686f6c64a56974656d7390a770726f66696c65c0a8626173656c696e6586a66e756d6265720ca46e616d65b23132e58fb720e688b7e694bfe7aa97e58fa3a46b696e64a6646f6d61696ea7646f6d61696e7391a9686f757365686f6c64a56974656d7390a770726f66696c65c0a57374617465a6636c6f736564ab73746174655f73696e6365d6ff6b04de0cac70617573655f726561736f6ea0a57374616666c0aa73746166665f6e616d65a0a763757272656e74c0a67061726b65649089a47370656386a66e756d6265720da46e616d65b83133e58fb720e8b7a8e79c81e9809ae58a9ee7aa97e58fa3a46b696e64ae63726f73735f70726f76696e6365a7646f6d61696e7390a56974656d7390a770726f66696c65c0a8626173656c696e6586a66e756d6265720da46e616d65b83133e58fb720e8b7a8e79c81e9809ae58a9ee7aa97e58fa3a46b696e64ae63726f73735f70726f76696e6365a7646f6d61696e7390a56974656d7390a770726f66696c65c0a57374617465a6636c6f736564ab73746174655f73696e6365d6ff6b04de0cac70617573655f726561736f6ea0a57374616666c0aa73746166665f6e616d65a0a763757272656e74c0a67061726b65649089a47370656386a66e756d6265720ea46e616d65b83134e58fb720e7bb9fe4b880e587bae4bbb6e7aa97e58fa3a46b696e64a67069636b7570a7646f6d61696e7390a56974656d7390a770726f66696c65c0a8626173656c696e6586a66e756d6265720ea46e616d65b83134e58fb720e7bb9fe4b880e587bae4bbb6e7aa97e58fa3a46b696e64a67069636b7570a7646f6d61696e7390a56974656d7390a770726f66696c65c0a57374617465a6636c6f736564ab73746174655f73696e6365d6ff6b04de0cac70617573655f726561736f6ea0a57374616666c0aa73746166665f6e616d65a0a763757272656e74c0a67061726b656490a967726f75705f73657181a14201af736572766963655f7365636f6e647382a453423031cb407dd99999999999a451593031cb408da00000000000');


--
-- Data for Name: post_roster; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.post_roster VALUES ('demo', 1, '2026-11-23', 'zhangwei', 'lina', 'manager', '2026-11-23 02:20:00+00');
INSERT INTO public.post_roster VALUES ('demo', 2, '2026-11-23', 'lina', '', 'manager', '2026-11-23 02:20:00+00');


--
-- Data for Name: print_job; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.print_job VALUES ('ZZnws4BI5PyHJ8M4', 'demo', 'kiosk-1', 'JQloUy46JvKosFmY', 'B001', '2026-11-23 01:00:00+00', 'printed', 1, '', '', '2026-11-23 01:00:00+00', '\x1b401d21011b45011b6101cabeb7b6c7f8d5fecef1b7fecef1d6d0d0c40a1d21001b45001b610144656d6f20446973747269637420476f7665726e6d656e7420536572766963652043656e7472650a1d21001b45001b61002d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d0a1d21001b45001b6101c4fab5c4bac5c2eb20596f7572206e756d6265720a1d21441b45011b6101423030310a1d21011b45011b6101c9e7bbe1b1a3cfd5b2ceb1a3b5c7bcc70a1d21001b45001b6101536f6369616c20696e737572616e636520656e726f6c6d656e740a1d21001b45001b61002d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d0a1d21011b45001b6100c7b0c3e6c3bbd3d0c8cbb5c8baf2a3acc7ebc1f4d2e2bdd0bac50a1d21001b45001b6100596f7520617265206e6578743b20706c65617365207761746368207468652073637265656e0a1d21001b45001b6100c8a1bac5cab1bce42049737375656420323032362d31312d32332030393a30303a30300a1d21001b45001b61011d286b0400314132001d286b03003143081d286b03003145301d286b3e00315030687474703a2f2f746573747365727665722e6c6f63616c2f68616c6c732f64656d6f2f7469636b6574732f4a516c6f557934364a764b6f73466d591d286b03003151300a1d21001b45001b6101c9a8c2ebb2e9bfb4bdf8b6c8a1a2c6c0bcdbb7fecef10a1d21001b45001b61015363616e20746f20666f6c6c6f7720796f7572207469636b65740a1d21001b45001b61002d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d0a1d21001b45011b6101b9fdbac5c7ebb5bdb7fecef1cca8b0ecc0edbbd6b8b4a3acb3acb9fd3330b7d6d6d3c7ebd6d8d0c2c8a1bac50a1d21001b45001b61014d697373656420796f7572206e756d6265723f2041736b206174207468652073657276696365206465736b2e0a1d21001b45001b61001b64061d5601');
INSERT INTO public.print_job VALUES ('Xy65z8HYZd7rB51w', 'demo', 'kiosk-1', 'g9Qm0xtVZhJhEjUV', 'A001', '2026-11-23 01:00:00+00', 'printed', 1, '', '', '2026-11-23 01:00:00+00', '\x1b401d21011b45011b6101cabeb7b6c7f8d5fecef1b7fecef1d6d0d0c40a1d21001b45001b610144656d6f20446973747269637420476f7665726e6d656e7420536572766963652043656e7472650a1d21001b45001b61002d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d0a1d21001b45001b6101c4fab5c4bac5c2eb20596f7572206e756d6265720a1d21441b45011b6101413030310a1d21011b45011b6101c6f3d2b5c9e8c1a2b5c7bcc70a1d21001b45001b6101436f6d70616e7920726567697374726174696f6e0a1d21001b45001b61002d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d0a1d21011b45001b6100c7b0c3e6bbb9d3d0203120c8cbb5c8baf20a1d21001b45001b610031206168656164206f6620796f750a1d21011b45001b6100d4a4bcc6b5c8baf2d4bc20313020b7d6d6d30a1d21001b45001b6100457374696d6174656420776169742061626f7574203130206d696e0a1d21001b45001b6100c8a1bac5cab1bce42049737375656420323032362d31312d32332030393a30303a30300a1d21001b45001b61011d286b0400314132001d286b03003143081d286b03003145301d286b3e00315030687474703a2f2f746573747365727665722e6c6f63616c2f68616c6c732f64656d6f2f7469636b6574732f6739516d307874565a684a68456a55561d286b03003151300a1d21001b45001b6101c9a8c2ebb2e9bfb4bdf8b6c8a1a2c6c0bcdbb7fecef10a1d21001b45001b61015363616e20746f20666f6c6c6f7720796f7572207469636b65740a1d21001b45001b61002d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d0a1d21001b45011b6101b9fdbac5c7ebb5bdb7fecef1cca8b0ecc0edbbd6b8b4a3acb3acb9fd3330b7d6d6d3c7ebd6d8d0c2c8a1bac50a1d21001b45001b61014d697373656420796f7572206e756d6265723f2041736b206174207468652073657276696365206465736b2e0a1d21001b45001b61001b64061d5601');
INSERT INTO public.print_job VALUES ('DjWfOlL7ZVe6hEpf', 'demo', 'kiosk-1', '18XpxM9snD0VBwNt', 'B002', '2026-11-23 01:00:00+00', 'printed', 1, '', '', '2026-11-23 01:00:00+00', '\x1b401d21011b45011b6101cabeb7b6c7f8d5fecef1b7fecef1d6d0d0c40a1d21001b45001b610144656d6f20446973747269637420476f7665726e6d656e7420536572766963652043656e7472650a1d21001b45001b61002d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d0a1d21001b45001b6101c4fab5c4bac5c2eb20596f7572206e756d6265720a1d21441b45011b6101423030320a1d21011b45011b6101c9e7bbe1b1a3cfd5b2ceb1a3b5c7bcc70a1d21001b45001b6101536f6369616c20696e737572616e636520656e726f6c6d656e740a1d21001b45001b61002d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d0a1d21011b45001b6100c7b0c3e6bbb9d3d0203220c8cbb5c8baf20a1d21001b45001b610032206168656164206f6620796f750a1d21011b45001b6100d4a4bcc6b5c8baf2d4bc20333020b7d6d6d30a1d21001b45001b6100457374696d6174656420776169742061626f7574203330206d696e0a1d21001b45001b6100c8a1bac5cab1bce42049737375656420323032362d31312d32332030393a30303a30300a1d21001b45001b61011d286b0400314132001d286b03003143081d286b03003145301d286b3e00315030687474703a2f2f746573747365727665722e6c6f63616c2f68616c6c732f64656d6f2f7469636b6574732f31385870784d39736e44305642774e741d286b03003151300a1d21001b45001b6101c9a8c2ebb2e9bfb4bdf8b6c8a1a2c6c0bcdbb7fecef10a1d21001b45001b61015363616e20746f20666f6c6c6f7720796f7572207469636b65740a1d21001b45001b61002d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d0a1d21001b45011b6101b9fdbac5c7ebb5bdb7fecef1cca8b0ecc0edbbd6b8b4a3acb3acb9fd3330b7d6d6d3c7ebd6d8d0c2c8a1bac50a1d21001b45001b61014d697373656420796f7572206e756d6265723f2041736b206174207468652073657276696365206465736b2e0a1d21001b45001b61001b64061d5601');
INSERT INTO public.print_job VALUES ('t2cXIZfo8PDXvDe8', 'demo', 'kiosk-1', 'WJynbXxMzx0IOWhn', 'C001', '2026-11-23 01:00:00+00', 'printed', 1, '', '', '2026-11-23 01:00:00+00', '\x1b401d21011b45011b6101cabeb7b6c7f8d5fecef1b7fecef1d6d0d0c40a1d21001b45001b610144656d6f20446973747269637420476f7665726e6d656e7420536572766963652043656e7472650a1d21001b45001b61002d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d0a1d21001b45001b6101c4fab5c4bac5c2eb20596f7572206e756d6265720a1d21441b45011b6101433030310a1d21011b45011b6101b2bbb6afb2fad7aad2c6b5c7bcc70a1d21001b45001b610150726f7065727479207472616e7366657220726567697374726174696f6e0a1d21001b45001b61002d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d0a1d21011b45001b6100c7b0c3e6bbb9d3d0203320c8cbb5c8baf20a1d21001b45001b610033206168656164206f6620796f750a1d21011b45001b6100d4a4bcc6b5c8baf2d4bc20343020b7d6d6d30a1d21001b45001b6100457374696d6174656420776169742061626f7574203430206d696e0a1d21001b45001b6100c8a1bac5cab1bce42049737375656420323032362d31312d32332030393a30303a30300a1d21001b45001b61011d286b0400314132001d286b03003143081d286b03003145301d286b3e00315030687474703a2f2f746573747365727665722e6c6f63616c2f68616c6c732f64656d6f2f7469636b6574732f574a796e6258784d7a7830494f57686e1d286b03003151300a1d21001b45001b6101c9a8c2ebb2e9bfb4bdf8b6c8a1a2c6c0bcdbb7fecef10a1d21001b45001b61015363616e20746f20666f6c6c6f7720796f7572207469636b65740a1d21001b45001b61002d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d0a1d21001b45011b6101b9fdbac5c7ebb5bdb7fecef1cca8b0ecc0edbbd6b8b4a3acb3acb9fd3330b7d6d6d3c7ebd6d8d0c2c8a1bac50a1d21001b45001b61014d697373656420796f7572206e756d6265723f2041736b206174207468652073657276696365206465736b2e0a1d21001b45001b61001b64061d5601');
INSERT INTO public.print_job VALUES ('AsINsVodN-HqmUak', 'demo', 'kiosk-1', 'DxUAuHi6zhuSV2CU', 'B003', '2026-11-23 01:00:00+00', 'printed', 1, '', '', '2026-11-23 01:04:00+00', '\x1b401d21011b45011b6101cabeb7b6c7f8d5fecef1b7fecef1d6d0d0c40a1d21001b45001b610144656d6f20446973747269637420476f7665726e6d656e7420536572766963652043656e7472650a1d21001b45001b61002d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d0a1d21001b45001b6101c4fab5c4bac5c2eb20596f7572206e756d6265720a1d21441b45011b6101423030330a1d21011b45011b6101c9e7bbe1b1a3d5cfbfa8c9eac1ec0a1d21001b45001b6101536f6369616c20736563757269747920636172640a1d21001b45001b61002d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d0a1d21011b45001b6100c7b0c3e6bbb9d3d0203420c8cbb5c8baf20a1d21001b45001b610034206168656164206f6620796f750a1d21011b45001b6100d4a4bcc6b5c8baf2d4bc20363520b7d6d6d30a1d21001b45001b6100457374696d6174656420776169742061626f7574203635206d696e0a1d21001b45001b6100c8a1bac5cab1bce42049737375656420323032362d31312d32332030393a30303a30300a1d21001b45001b61011d286b0400314132001d286b03003143081d286b03003145301d286b3e00315030687474703a2f2f746573747365727665722e6c6f63616c2f68616c6c732f64656d6f2f7469636b6574732f44785541754869367a687553563243551d286b03003151300a1d21001b45001b6101c9a8c2ebb2e9bfb4bdf8b6c8a1a2c6c0bcdbb7fecef10a1d21001b45001b61015363616e20746f20666f6c6c6f7720796f7572207469636b65740a1d21001b45001b61002d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d0a1d21001b45011b6101b9fdbac5c7ebb5bdb7fecef1cca8b0ecc0edbbd6b8b4a3acb3acb9fd3330b7d6d6d3c7ebd6d8d0c2c8a1bac50a1d21001b45001b61014d697373656420796f7572206e756d6265723f2041736b206174207468652073657276696365206465736b2e0a1d21001b45001b61001b64061d5601');
INSERT INTO public.print_job VALUES ('1T8T9mFrlt11G-v4', 'demo', 'kiosk-1', 'cXk0L9HYvQUKmrQv', 'A002', '2026-11-23 01:00:00+00', 'printed', 1, '', '', '2026-11-23 01:10:00+00', '\x1b401d21011b45011b6101cabeb7b6c7f8d5fecef1b7fecef1d6d0d0c40a1d21001b45001b610144656d6f20446973747269637420476f7665726e6d656e7420536572766963652043656e7472650a1d21001b45001b61002d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d0a1d21001b45001b6101c4fab5c4bac5c2eb20596f7572206e756d6265720a1d21441b45011b6101413030320a1d21011b45011b6101c6f3d2b5b1e4b8fcb5c7bcc70a1d21001b45001b6101436f6d70616e79206368616e676520726567697374726174696f6e0a1d21001b45001b61002d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d0a1d21011b45001b6100c7b0c3e6bbb9d3d0203520c8cbb5c8baf20a1d21001b45001b610035206168656164206f6620796f750a1d21011b45001b6100d4a4bcc6b5c8baf2d4bc20373320b7d6d6d30a1d21001b45001b6100457374696d6174656420776169742061626f7574203733206d696e0a1d21001b45001b6100c8a1bac5cab1bce42049737375656420323032362d31312d32332030393a30303a30300a1d21001b45001b61011d286b0400314132001d286b03003143081d286b03003145301d286b3e00315030687474703a2f2f746573747365727665722e6c6f63616c2f68616c6c732f64656d6f2f7469636b6574732f63586b304c3948597651554b6d7251761d286b03003151300a1d21001b45001b6101c9a8c2ebb2e9bfb4bdf8b6c8a1a2c6c0bcdbb7fecef10a1d21001b45001b61015363616e20746f20666f6c6c6f7720796f7572207469636b65740a1d21001b45001b61002d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d0a1d21001b45011b6101b9fdbac5c7ebb5bdb7fecef1cca8b0ecc0edbbd6b8b4a3acb3acb9fd3330b7d6d6d3c7ebd6d8d0c2c8a1bac50a1d21001b45001b61014d697373656420796f7572206e756d6265723f2041736b206174207468652073657276696365206465736b2e0a1d21001b45001b61001b64061d5601');
INSERT INTO public.print_job VALUES ('mXVM9mqQDvS3Pswm', 'demo', 'kiosk-1', 'urcu38jwHriJ9LaL', 'A003', '2026-11-23 02:20:00+00', 'printed', 1, '', '', '2026-11-23 02:20:00+00', '\x1b401d21011b45011b6101cabeb7b6c7f8d5fecef1b7fecef1d6d0d0c40a1d21001b45001b610144656d6f20446973747269637420476f7665726e6d656e7420536572766963652043656e7472650a1d21001b45001b61002d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d0a1d21001b45001b6101c4fab5c4bac5c2eb20596f7572206e756d6265720a1d21441b45011b6101413030330a1d21111b45011b6101d4a4d4bc204170706f696e746d656e740a1d21011b45011b6101c6f3d2b5c9e8c1a2b5c7bcc70a1d21001b45001b6101436f6d70616e7920726567697374726174696f6e0a1d21001b45001b61002d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d0a1d21011b45001b6100c7b0c3e6c3bbd3d0c8cbb5c8baf2a3acc7ebc1f4d2e2bdd0bac50a1d21001b45001b6100596f7520617265206e6578743b20706c65617365207761746368207468652073637265656e0a1d21001b45001b6100c8a1bac5cab1bce42049737375656420323032362d31312d32332031303a32303a30300a1d21001b45001b61011d286b0400314132001d286b03003143081d286b03003145301d286b3e00315030687474703a2f2f746573747365727665722e6c6f63616c2f68616c6c732f64656d6f2f7469636b6574732f7572637533386a774872694a394c614c1d286b03003151300a1d21001b45001b6101c9a8c2ebb2e9bfb4bdf8b6c8a1a2c6c0bcdbb7fecef10a1d21001b45001b61015363616e20746f20666f6c6c6f7720796f7572207469636b65740a1d21001b45001b61002d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d0a1d21001b45011b6101b9fdbac5c7ebb5bdb7fecef1cca8b0ecc0edbbd6b8b4a3acb3acb9fd3330b7d6d6d3c7ebd6d8d0c2c8a1bac50a1d21001b45001b61014d697373656420796f7572206e756d6265723f2041736b206174207468652073657276696365206465736b2e0a1d21001b45001b61001b64061d5601');
INSERT INTO public.print_job VALUES ('hSxOeoxeUizoyR-m', 'demo', 'kiosk-1', 'FDOJE3gSVKGP3oLw', 'B001', '2026-11-24 00:45:00+00', 'printed', 1, '', '', '2026-11-24 00:45:00+00', '\x1b401d21011b45011b6101cabeb7b6c7f8d5fecef1b7fecef1d6d0d0c40a1d21001b45001b610144656d6f20446973747269637420476f7665726e6d656e7420536572766963652043656e7472650a1d21001b45001b61002d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d0a1d21001b45001b6101c4fab5c4bac5c2eb20596f7572206e756d6265720a1d21441b45011b6101423030310a1d21011b45011b6101c9e7bbe1b1a3cfd5b2ceb1a3b5c7bcc70a1d21001b45001b6101536f6369616c20696e737572616e636520656e726f6c6d656e740a1d21001b45001b61002d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d0a1d21011b45001b6100c7b0c3e6c3bbd3d0c8cbb5c8baf2a3acc7ebc1f4d2e2bdd0bac50a1d21001b45001b6100596f7520617265206e6578743b20706c65617365207761746368207468652073637265656e0a1d21001b45001b6100c8a1bac5cab1bce42049737375656420323032362d31312d32342030383a34353a30300a1d21001b45001b61011d286b0400314132001d286b03003143081d286b03003145301d286b3e00315030687474703a2f2f746573747365727665722e6c6f63616c2f68616c6c732f64656d6f2f7469636b6574732f46444f4a45336753564b4750336f4c771d286b03003151300a1d21001b45001b6101c9a8c2ebb2e9bfb4bdf8b6c8a1a2c6c0bcdbb7fecef10a1d21001b45001b61015363616e20746f20666f6c6c6f7720796f7572207469636b65740a1d21001b45001b61002d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d0a1d21001b45011b6101b9fdbac5c7ebb5bdb7fecef1cca8b0ecc0edbbd6b8b4a3acb3acb9fd3330b7d6d6d3c7ebd6d8d0c2c8a1bac50a1d21001b45001b61014d697373656420796f7572206e756d6265723f2041736b206174207468652073657276696365206465736b2e0a1d21001b45001b61001b64061d5601');


--
-- Data for Name: printer_status; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.printer_status VALUES ('demo', 'kiosk-1', 'ok', '', '2026-11-23 01:00:00+00', '2026-11-24 00:45:00+00', false, NULL);


--
-- Data for Name: rating; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.rating VALUES ('XlTNdfVhzWthnwNc', 'demo', 26, 'JQloUy46JvKosFmY', 'B001', 'SB01', 1, 'zhangwei', '张伟', 'very_satisfied', 10, '', '', 'web', '', NULL, '2026-11-23 01:10:00+00', '2026-11-23 02:20:00+00', '2026-11-23');
INSERT INTO public.rating VALUES ('i9fmX3mwcsZR1Rms', 'demo', 29, 'g9Qm0xtVZhJhEjUV', 'A001', 'QY01', 1, 'zhangwei', '张伟', 'dissatisfied', 3, '等候时间过长', '', 'web', '139****9000', NULL, '2026-11-23 01:20:00+00', '2026-11-23 02:20:00+00', '2026-11-23');


--
-- Data for Name: rating_case; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.rating_case VALUES ('mEF6yf4K82CFtpKa', 'demo', 'i9fmX3mwcsZR1Rms', 'replied', '2026-11-28', '2026-11-23 02:20:00+00', '已回访', '2026-11-23 02:20:00+00', '', NULL, '', NULL, '', NULL, 'manager');


--
-- Data for Name: schema_version; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.schema_version VALUES (5, 'post_roster', '2026-12-06T06:51:26.153000+00:00');


--
-- Data for Name: ticket; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.ticket VALUES ('JQloUy46JvKosFmY', 'demo', '2026-11-23', 'B001', 'B', 1, 'SB01', 'walk_in', 'completed', 1, NULL, 0, 0, 'kiosk', 'k0', '2026-11-23 01:00:00+00', '2026-11-23 01:04:00+00', '2026-11-23 01:04:00+00', NULL, '2026-11-23 01:10:00+00', NULL, 26);
INSERT INTO public.ticket VALUES ('g9Qm0xtVZhJhEjUV', 'demo', '2026-11-23', 'A001', 'A', 1, 'QY01', 'walk_in', 'completed', 1, NULL, 0, 0, 'kiosk', 'k1', '2026-11-23 01:00:00+00', '2026-11-23 01:14:00+00', '2026-11-23 01:14:00+00', NULL, '2026-11-23 01:20:00+00', NULL, 29);
INSERT INTO public.ticket VALUES ('18XpxM9snD0VBwNt', 'demo', '2026-11-23', 'B002', 'B', 2, 'SB01', 'walk_in', 'completed', 1, NULL, 0, 0, 'kiosk', 'k2', '2026-11-23 01:00:00+00', '2026-11-23 01:24:00+00', '2026-11-23 01:24:00+00', NULL, '2026-11-23 01:30:00+00', NULL, 32);
INSERT INTO public.ticket VALUES ('cXk0L9HYvQUKmrQv', 'demo', '2026-11-23', 'A002', 'A', 2, 'QY02', 'walk_in', 'expired', NULL, NULL, 0, 0, 'kiosk', 'k5', '2026-11-23 01:00:00+00', NULL, NULL, NULL, '2026-11-23 16:00:00+00', NULL, 40);
INSERT INTO public.ticket VALUES ('WJynbXxMzx0IOWhn', 'demo', '2026-11-23', 'C001', 'C', 1, 'BD01', 'walk_in', 'expired', 1, NULL, 1, 0, 'kiosk', 'k3', '2026-11-23 01:00:00+00', '2026-11-23 01:30:00+00', NULL, '2026-11-23 01:30:00+00', '2026-11-23 16:00:00+00', NULL, 40);
INSERT INTO public.ticket VALUES ('DxUAuHi6zhuSV2CU', 'demo', '2026-11-23', 'B003', 'B', 3, 'SB01', 'walk_in', 'expired', NULL, NULL, 0, 1, 'kiosk', 'k4', '2026-11-23 01:00:00+00', NULL, NULL, NULL, '2026-11-23 16:00:00+00', NULL, 40);
INSERT INTO public.ticket VALUES ('urcu38jwHriJ9LaL', 'demo', '2026-11-23', 'A003', 'A', 3, 'QY01', 'appointment', 'expired', NULL, NULL, 0, 0, 'appointment', NULL, '2026-11-23 02:20:00+00', NULL, NULL, NULL, '2026-11-23 16:00:00+00', '2026-11-23 02:30:00+00', 40);
INSERT INTO public.ticket VALUES ('FDOJE3gSVKGP3oLw', 'demo', '2026-11-24', 'B001', 'B', 1, 'SB01', 'walk_in', 'waiting', NULL, NULL, 0, 0, 'kiosk', NULL, '2026-11-24 00:45:00+00', NULL, NULL, NULL, NULL, NULL, 41);


--
-- Name: schema_version_version_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.schema_version_version_seq', 1, false);


--
-- Name: appointment_person appointment_person_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.appointment_person
    ADD CONSTRAINT appointment_person_pkey PRIMARY KEY (hall, person_key);


--
-- Name: appointment appointment_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.appointment
    ADD CONSTRAINT appointment_pkey PRIMARY KEY (id);


--
-- Name: appointment_reminder appointment_reminder_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.appointment_reminder
    ADD CONSTRAINT appointment_reminder_pkey PRIMARY KEY (appointment_id, minutes_before);


--
-- Name: appointment_slot appointment_slot_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.appointment_slot
    ADD CONSTRAINT appointment_slot_pkey PRIMARY KEY (hall, capacity_key, slot_start);


--
-- Name: hall_event hall_event_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.hall_event
    ADD CONSTRAINT hall_event_pkey PRIMARY KEY (hall, seq);


--
-- Name: hall_head hall_head_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.hall_head
    ADD CONSTRAINT hall_head_pkey PRIMARY KEY (hall);


--
-- Name: hall_snapshot hall_snapshot_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.hall_snapshot
    ADD CONSTRAINT hall_snapshot_pkey PRIMARY KEY (hall, seq);


--
-- Name: post_roster post_roster_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.post_roster
    ADD CONSTRAINT post_roster_pkey PRIMARY KEY (hall, counter, day);


--
-- Name: print_job print_job_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.print_job
    ADD CONSTRAINT print_job_pkey PRIMARY KEY (id);


--
-- Name: printer_status printer_status_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.printer_status
    ADD CONSTRAINT printer_status_pkey PRIMARY KEY (hall, device);


--
-- Name: rating_case rating_case_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.rating_case
    ADD CONSTRAINT rating_case_pkey PRIMARY KEY (id);


--
-- Name: rating_case rating_case_rating_id_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.rating_case
    ADD CONSTRAINT rating_case_rating_id_key UNIQUE (rating_id);


--
-- Name: rating rating_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.rating
    ADD CONSTRAINT rating_pkey PRIMARY KEY (id);


--
-- Name: schema_version schema_version_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.schema_version
    ADD CONSTRAINT schema_version_pkey PRIMARY KEY (version);


--
-- Name: ticket ticket_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.ticket
    ADD CONSTRAINT ticket_pkey PRIMARY KEY (id);


--
-- Name: appointment uq_appointment_code; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.appointment
    ADD CONSTRAINT uq_appointment_code UNIQUE (hall, code);


--
-- Name: rating uq_rating_service; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.rating
    ADD CONSTRAINT uq_rating_service UNIQUE (hall, service);


--
-- Name: ticket uq_ticket_idempotency; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.ticket
    ADD CONSTRAINT uq_ticket_idempotency UNIQUE (hall, day, idempotency_key);


--
-- Name: ticket uq_ticket_number; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.ticket
    ADD CONSTRAINT uq_ticket_number UNIQUE (hall, day, "group", seq);


--
-- Name: ix_appointment_person; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX ix_appointment_person ON public.appointment USING btree (hall, person_key);


--
-- Name: ix_appointment_slot; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX ix_appointment_slot ON public.appointment USING btree (hall, slot_start, state);


--
-- Name: ix_hall_event_hall_day; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX ix_hall_event_hall_day ON public.hall_event USING btree (hall, day);


--
-- Name: ix_hall_event_ticket_id; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX ix_hall_event_ticket_id ON public.hall_event USING btree (ticket_id);


--
-- Name: ix_print_job_device_state; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX ix_print_job_device_state ON public.print_job USING btree (hall, device, state);


--
-- Name: ix_print_job_ticket_id; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX ix_print_job_ticket_id ON public.print_job USING btree (ticket_id);


--
-- Name: ix_rating_case_hall; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX ix_rating_case_hall ON public.rating_case USING btree (hall);


--
-- Name: ix_rating_hall_day; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX ix_rating_hall_day ON public.rating USING btree (hall, day);


--
-- Name: ix_rating_ticket_id; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX ix_rating_ticket_id ON public.rating USING btree (ticket_id);


--
-- Name: ix_ticket_hall; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX ix_ticket_hall ON public.ticket USING btree (hall);


--
-- PostgreSQL database dump complete
--

\unrestrict JWKKlJzqQNhaH0LGH2iYUzs76dYZnA2FJ3aM4ZdQY2pF038th1sCZ1JGKn8eZhI

