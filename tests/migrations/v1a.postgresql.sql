-- schema fixture v1a: made by the program at commit 07647d81bd81b97a056274205c017d8213968216 (tests/migrations/make_fixture.py)
--
-- PostgreSQL database dump
--

\restrict L1qbgmknQmNdhwTvQttKTkzDwKQdXnSYVPzNsgXDosW3CKIJLFIMQA6sDSt1geh

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
    seq bigint NOT NULL,
    snapshot_seq bigint NOT NULL
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
INSERT INTO public.hall_event VALUES ('demo', 16, '2026-11-23 01:00:00+00', '2026-11-23', 'staff_signed_in', NULL, 1, 'zhangwei', '{"kind":"staff_signed_in","counter":1,"staff":"zhangwei","at":"2026-11-23T09:00:00+08:00","actor":"zhangwei"}');
INSERT INTO public.hall_event VALUES ('demo', 17, '2026-11-23 01:00:00+00', '2026-11-23', 'counter_opened', NULL, 1, 'zhangwei', '{"kind":"counter_opened","counter":1,"at":"2026-11-23T09:00:00+08:00","actor":"zhangwei"}');
INSERT INTO public.hall_event VALUES ('demo', 18, '2026-11-23 01:00:00+00', '2026-11-23', 'ticket_issued', 'jJIl4Ce66PpG_9QU', NULL, 'kiosk-1', '{"kind":"ticket_issued","ticket_id":"jJIl4Ce66PpG_9QU","number":"B001","group":"B","seq":1,"item":"SB01","priority":"walk_in","key":[1795395600000000,18],"idempotency_key":"k0","at":"2026-11-23T09:00:00+08:00","actor":"kiosk-1"}');
INSERT INTO public.hall_event VALUES ('demo', 19, '2026-11-23 01:00:00+00', '2026-11-23', 'ticket_issued', '7YCIhbe2PJQ-WSAU', NULL, 'kiosk-1', '{"kind":"ticket_issued","ticket_id":"7YCIhbe2PJQ-WSAU","number":"A001","group":"A","seq":1,"item":"QY01","priority":"walk_in","key":[1795395600000000,19],"idempotency_key":"k1","at":"2026-11-23T09:00:00+08:00","actor":"kiosk-1"}');
INSERT INTO public.hall_event VALUES ('demo', 20, '2026-11-23 01:00:00+00', '2026-11-23', 'ticket_issued', 'fQ8Ucg69zQUMMD60', NULL, 'kiosk-1', '{"kind":"ticket_issued","ticket_id":"fQ8Ucg69zQUMMD60","number":"B002","group":"B","seq":2,"item":"SB01","priority":"walk_in","key":[1795395600000000,20],"idempotency_key":"k2","at":"2026-11-23T09:00:00+08:00","actor":"kiosk-1"}');
INSERT INTO public.hall_event VALUES ('demo', 21, '2026-11-23 01:00:00+00', '2026-11-23', 'ticket_issued', 'Tyf0CRoKk6YhIKrL', NULL, 'kiosk-1', '{"kind":"ticket_issued","ticket_id":"Tyf0CRoKk6YhIKrL","number":"C001","group":"C","seq":1,"item":"BD01","priority":"walk_in","key":[1795395600000000,21],"idempotency_key":"k3","at":"2026-11-23T09:00:00+08:00","actor":"kiosk-1"}');
INSERT INTO public.hall_event VALUES ('demo', 22, '2026-11-23 01:00:00+00', '2026-11-23', 'ticket_issued', '-vbQcujQcRtIK2mt', NULL, 'kiosk-1', '{"kind":"ticket_issued","ticket_id":"-vbQcujQcRtIK2mt","number":"B003","group":"B","seq":3,"item":"SB02","priority":"walk_in","key":[1795395600000000,22],"idempotency_key":"k4","at":"2026-11-23T09:00:00+08:00","actor":"kiosk-1"}');
INSERT INTO public.hall_event VALUES ('demo', 23, '2026-11-23 01:00:00+00', '2026-11-23', 'ticket_issued', 'S_2X4LL9KqSi8eIP', NULL, 'kiosk-1', '{"kind":"ticket_issued","ticket_id":"S_2X4LL9KqSi8eIP","number":"A002","group":"A","seq":2,"item":"QY02","priority":"walk_in","key":[1795395600000000,23],"idempotency_key":"k5","at":"2026-11-23T09:00:00+08:00","actor":"kiosk-1"}');
INSERT INTO public.hall_event VALUES ('demo', 24, '2026-11-23 01:04:00+00', '2026-11-23', 'ticket_called', 'jJIl4Ce66PpG_9QU', 1, 'zhangwei', '{"kind":"ticket_called","ticket_id":"jJIl4Ce66PpG_9QU","counter":1,"at":"2026-11-23T09:04:00+08:00","actor":"zhangwei"}');
INSERT INTO public.hall_event VALUES ('demo', 25, '2026-11-23 01:04:00+00', '2026-11-23', 'service_started', 'jJIl4Ce66PpG_9QU', 1, 'zhangwei', '{"kind":"service_started","ticket_id":"jJIl4Ce66PpG_9QU","counter":1,"at":"2026-11-23T09:04:00+08:00","actor":"zhangwei"}');
INSERT INTO public.hall_event VALUES ('demo', 26, '2026-11-23 01:10:00+00', '2026-11-23', 'service_completed', 'jJIl4Ce66PpG_9QU', 1, 'zhangwei', '{"kind":"service_completed","ticket_id":"jJIl4Ce66PpG_9QU","counter":1,"at":"2026-11-23T09:10:00+08:00","actor":"zhangwei"}');
INSERT INTO public.hall_event VALUES ('demo', 27, '2026-11-23 01:14:00+00', '2026-11-23', 'ticket_called', '7YCIhbe2PJQ-WSAU', 1, 'zhangwei', '{"kind":"ticket_called","ticket_id":"7YCIhbe2PJQ-WSAU","counter":1,"at":"2026-11-23T09:14:00+08:00","actor":"zhangwei"}');
INSERT INTO public.hall_event VALUES ('demo', 28, '2026-11-23 01:14:00+00', '2026-11-23', 'service_started', '7YCIhbe2PJQ-WSAU', 1, 'zhangwei', '{"kind":"service_started","ticket_id":"7YCIhbe2PJQ-WSAU","counter":1,"at":"2026-11-23T09:14:00+08:00","actor":"zhangwei"}');
INSERT INTO public.hall_event VALUES ('demo', 29, '2026-11-23 01:20:00+00', '2026-11-23', 'service_completed', '7YCIhbe2PJQ-WSAU', 1, 'zhangwei', '{"kind":"service_completed","ticket_id":"7YCIhbe2PJQ-WSAU","counter":1,"at":"2026-11-23T09:20:00+08:00","actor":"zhangwei"}');
INSERT INTO public.hall_event VALUES ('demo', 30, '2026-11-23 01:24:00+00', '2026-11-23', 'ticket_called', 'fQ8Ucg69zQUMMD60', 1, 'zhangwei', '{"kind":"ticket_called","ticket_id":"fQ8Ucg69zQUMMD60","counter":1,"at":"2026-11-23T09:24:00+08:00","actor":"zhangwei"}');
INSERT INTO public.hall_event VALUES ('demo', 31, '2026-11-23 01:24:00+00', '2026-11-23', 'service_started', 'fQ8Ucg69zQUMMD60', 1, 'zhangwei', '{"kind":"service_started","ticket_id":"fQ8Ucg69zQUMMD60","counter":1,"at":"2026-11-23T09:24:00+08:00","actor":"zhangwei"}');
INSERT INTO public.hall_event VALUES ('demo', 32, '2026-11-23 01:30:00+00', '2026-11-23', 'service_completed', 'fQ8Ucg69zQUMMD60', 1, 'zhangwei', '{"kind":"service_completed","ticket_id":"fQ8Ucg69zQUMMD60","counter":1,"at":"2026-11-23T09:30:00+08:00","actor":"zhangwei"}');
INSERT INTO public.hall_event VALUES ('demo', 33, '2026-11-23 01:30:00+00', '2026-11-23', 'ticket_called', 'Tyf0CRoKk6YhIKrL', 1, 'zhangwei', '{"kind":"ticket_called","ticket_id":"Tyf0CRoKk6YhIKrL","counter":1,"at":"2026-11-23T09:30:00+08:00","actor":"zhangwei"}');
INSERT INTO public.hall_event VALUES ('demo', 34, '2026-11-23 01:30:00+00', '2026-11-23', 'ticket_recalled', 'Tyf0CRoKk6YhIKrL', 1, 'zhangwei', '{"kind":"ticket_recalled","ticket_id":"Tyf0CRoKk6YhIKrL","counter":1,"recalls":1,"at":"2026-11-23T09:30:00+08:00","actor":"zhangwei"}');
INSERT INTO public.hall_event VALUES ('demo', 35, '2026-11-23 01:30:00+00', '2026-11-23', 'ticket_missed', 'Tyf0CRoKk6YhIKrL', 1, 'zhangwei', '{"kind":"ticket_missed","ticket_id":"Tyf0CRoKk6YhIKrL","counter":1,"at":"2026-11-23T09:30:00+08:00","actor":"zhangwei"}');
INSERT INTO public.hall_event VALUES ('demo', 36, '2026-11-23 01:30:00+00', '2026-11-23', 'ticket_called', '-vbQcujQcRtIK2mt', 1, 'zhangwei', '{"kind":"ticket_called","ticket_id":"-vbQcujQcRtIK2mt","counter":1,"at":"2026-11-23T09:30:00+08:00","actor":"zhangwei"}');
INSERT INTO public.hall_event VALUES ('demo', 37, '2026-11-23 01:30:00+00', '2026-11-23', 'ticket_transferred', '-vbQcujQcRtIK2mt', 1, 'zhangwei', '{"kind":"ticket_transferred","ticket_id":"-vbQcujQcRtIK2mt","counter":1,"item":"SB01","at":"2026-11-23T09:30:00+08:00","actor":"zhangwei"}');
INSERT INTO public.hall_event VALUES ('demo', 38, '2026-11-23 01:30:00+00', '2026-11-23', 'counter_paused', NULL, 1, 'zhangwei', '{"kind":"counter_paused","counter":1,"reason":"lunch","at":"2026-11-23T09:30:00+08:00","actor":"zhangwei"}');
INSERT INTO public.hall_event VALUES ('demo', 39, '2026-11-24 00:45:00+00', '2026-11-24', 'day_started', NULL, NULL, NULL, '{"kind":"day_started","day":"2026-11-24","expired":["Tyf0CRoKk6YhIKrL","-vbQcujQcRtIK2mt","S_2X4LL9KqSi8eIP"],"at":"2026-11-24T08:45:00+08:00"}');
INSERT INTO public.hall_event VALUES ('demo', 40, '2026-11-24 00:45:00+00', '2026-11-24', 'ticket_issued', '8Qra-m-4R8A1OJgG', NULL, 'kiosk-1', '{"kind":"ticket_issued","ticket_id":"8Qra-m-4R8A1OJgG","number":"B001","group":"B","seq":1,"item":"SB01","priority":"walk_in","key":[1795481100000000,40],"at":"2026-11-24T08:45:00+08:00","actor":"kiosk-1"}');


--
-- Data for Name: hall_head; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.hall_head VALUES ('demo', 40, 40);


--
-- Data for Name: hall_snapshot; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.hall_snapshot VALUES ('demo', 15, '2026-11-23 01:00:00+00', '\x87a468616c6ca464656d6fa37365710fa3646179aa323032362d31312d3233a77469636b65747390a8636f756e746572739e88a47370656386a66e756d62657201a46e616d65ba31e58fb720e697a0e5b7aee588abe7bbbce59088e7aa97e58fa3a46b696e64ad6e6f5f646966666572656e6365a7646f6d61696e7390a56974656d7390a770726f66696c65c0a8626173656c696e6586a66e756d62657201a46e616d65ba31e58fb720e697a0e5b7aee588abe7bbbce59088e7aa97e58fa3a46b696e64ad6e6f5f646966666572656e6365a7646f6d61696e7390a56974656d7390a770726f66696c65c0a57374617465a6636c6f736564ab73746174655f73696e6365d6ff6b039010ac70617573655f726561736f6ea0a57374616666c0a763757272656e74c0a67061726b65649088a47370656386a66e756d62657202a46e616d65ba32e58fb720e697a0e5b7aee588abe7bbbce59088e7aa97e58fa3a46b696e64ad6e6f5f646966666572656e6365a7646f6d61696e7390a56974656d7390a770726f66696c65c0a8626173656c696e6586a66e756d62657202a46e616d65ba32e58fb720e697a0e5b7aee588abe7bbbce59088e7aa97e58fa3a46b696e64ad6e6f5f646966666572656e6365a7646f6d61696e7390a56974656d7390a770726f66696c65c0a57374617465a6636c6f736564ab73746174655f73696e6365d6ff6b039010ac70617573655f726561736f6ea0a57374616666c0a763757272656e74c0a67061726b65649088a47370656386a66e756d62657203a46e616d65ba33e58fb720e697a0e5b7aee588abe7bbbce59088e7aa97e58fa3a46b696e64ad6e6f5f646966666572656e6365a7646f6d61696e7390a56974656d7390a770726f66696c65c0a8626173656c696e6586a66e756d62657203a46e616d65ba33e58fb720e697a0e5b7aee588abe7bbbce59088e7aa97e58fa3a46b696e64ad6e6f5f646966666572656e6365a7646f6d61696e7390a56974656d7390a770726f66696c65c0a57374617465a6636c6f736564ab73746174655f73696e6365d6ff6b039010ac70617573655f726561736f6ea0a57374616666c0a763757272656e74c0a67061726b65649088a47370656386a66e756d62657204a46e616d65ba34e58fb720e697a0e5b7aee588abe7bbbce59088e7aa97e58fa3a46b696e64ad6e6f5f646966666572656e6365a7646f6d61696e7390a56974656d7390a770726f66696c65c0a8626173656c696e6586a66e756d62657204a46e616d65ba34e58fb720e697a0e5b7aee588abe7bbbce59088e7aa97e58fa3a46b696e64ad6e6f5f646966666572656e6365a7646f6d61696e7390a56974656d7390a770726f66696c65c0a57374617465a6636c6f736564ab73746174655f73696e6365d6ff6b039010ac70617573655f726561736f6ea0a57374616666c0a763757272656e74c0a67061726b65649088a47370656386a66e756d62657205a46e616d65ba35e58fb720e697a0e5b7aee588abe7bbbce59088e7aa97e58fa3a46b696e64ad6e6f5f646966666572656e6365a7646f6d61696e7390a56974656d7390a770726f66696c65c0a8626173656c696e6586a66e756d62657205a46e616d65ba35e58fb720e697a0e5b7aee588abe7bbbce59088e7aa97e58fa3a46b696e64ad6e6f5f646966666572656e6365a7646f6d61696e7390a56974656d7390a770726f66696c65c0a57374617465a6636c6f736564ab73746174655f73696e6365d6ff6b039010ac70617573655f726561736f6ea0a57374616666c0a763757272656e74c0a67061726b65649088a47370656386a66e756d62657206a46e616d65b736e58fb720e4bc81e4b89ae69c8de58aa1e7aa97e58fa3a46b696e64a6646f6d61696ea7646f6d61696e7391aa656e7465727072697365a56974656d7390a770726f66696c65c0a8626173656c696e6586a66e756d62657206a46e616d65b736e58fb720e4bc81e4b89ae69c8de58aa1e7aa97e58fa3a46b696e64a6646f6d61696ea7646f6d61696e7391aa656e7465727072697365a56974656d7390a770726f66696c65c0a57374617465a6636c6f736564ab73746174655f73696e6365d6ff6b039010ac70617573655f726561736f6ea0a57374616666c0a763757272656e74c0a67061726b65649088a47370656386a66e756d62657207a46e616d65b737e58fb720e4bc81e4b89ae69c8de58aa1e7aa97e58fa3a46b696e64a6646f6d61696ea7646f6d61696e7391aa656e7465727072697365a56974656d7390a770726f66696c65c0a8626173656c696e6586a66e756d62657207a46e616d65b737e58fb720e4bc81e4b89ae69c8de58aa1e7aa97e58fa3a46b696e64a6646f6d61696ea7646f6d61696e7391aa656e7465727072697365a56974656d7390a770726f66696c65c0a57374617465a6636c6f736564ab73746174655f73696e6365d6ff6b039010ac70617573655f726561736f6ea0a57374616666c0a763757272656e74c0a67061726b65649088a47370656386a66e756d62657208a46e616d65b738e58fb720e7a4bee4bf9de58cbbe4bf9de7aa97e58fa3a46b696e64a6646f6d61696ea7646f6d61696e7391a6736f6369616ca56974656d7390a770726f66696c65c0a8626173656c696e6586a66e756d62657208a46e616d65b738e58fb720e7a4bee4bf9de58cbbe4bf9de7aa97e58fa3a46b696e64a6646f6d61696ea7646f6d61696e7391a6736f6369616ca56974656d7390a770726f66696c65c0a57374617465a6636c6f736564ab73746174655f73696e6365d6ff6b039010ac70617573655f726561736f6ea0a57374616666c0a763757272656e74c0a67061726b65649088a47370656386a66e756d62657209a46e616d65ba39e58fb720e4b88de58aa8e4baa7e799bbe8aeb0e7aa97e58fa3a46b696e64a6646f6d61696ea7646f6d61696e7392a870726f7065727479ac686f7573696e675f66756e64a56974656d7390a770726f66696c65c0a8626173656c696e6586a66e756d62657209a46e616d65ba39e58fb720e4b88de58aa8e4baa7e799bbe8aeb0e7aa97e58fa3a46b696e64a6646f6d61696ea7646f6d61696e7392a870726f7065727479ac686f7573696e675f66756e64a56974656d7390a770726f66696c65c0a57374617465a6636c6f736564ab73746174655f73696e6365d6ff6b039010ac70617573655f726561736f6ea0a57374616666c0a763757272656e74c0a67061726b65649088a47370656386a66e756d6265720aa46e616d65b53130e58fb720e585ace7a7afe98791e7aa97e58fa3a46b696e64a6646f6d61696ea7646f6d61696e7392a870726f7065727479ac686f7573696e675f66756e64a56974656d7390a770726f66696c65aa66756e645f6669727374a8626173656c696e6586a66e756d6265720aa46e616d65b53130e58fb720e585ace7a7afe98791e7aa97e58fa3a46b696e64a6646f6d61696ea7646f6d61696e7392a870726f7065727479ac686f7573696e675f66756e64a56974656d7390a770726f66696c65aa66756e645f6669727374a57374617465a6636c6f736564ab73746174655f73696e6365d6ff6b039010ac70617573655f726561736f6ea0a57374616666c0a763757272656e74c0a67061726b65649088a47370656386a66e756d6265720ba46e616d65b23131e58fb720e7a88ee58aa1e7aa97e58fa3a46b696e64a6646f6d61696ea7646f6d61696e7391a3746178a56974656d7390a770726f66696c65c0a8626173656c696e6586a66e756d6265720ba46e616d65b23131e58fb720e7a88ee58aa1e7aa97e58fa3a46b696e64a6646f6d61696ea7646f6d61696e7391a3746178a56974656d7390a770726f66696c65c0a57374617465a6636c6f736564ab73746174655f73696e6365d6ff6b039010ac70617573655f726561736f6ea0a57374616666c0a763757272656e74c0a67061726b65649088a47370656386a66e756d6265720ca46e616d65b23132e58fb720e688b7e694bfe7aa97e58fa3a46b696e64a6646f6d61696ea7646f6d61696e7391a9686f757365686f6c64a56974656d7390a770726f66696c65c0a8626173656c696e6586a66e756d6265720ca46e616d65b23132e58fb720e688b7e694bfe7aa97e58fa3a46b696e64a6646f6d61696ea7646f6d61696e7391a9686f757365686f6c64a56974656d7390a770726f66696c65c0a57374617465a6636c6f736564ab73746174655f73696e6365d6ff6b039010ac70617573655f726561736f6ea0a57374616666c0a763757272656e74c0a67061726b65649088a47370656386a66e756d6265720da46e616d65b83133e58fb720e8b7a8e79c81e9809ae58a9ee7aa97e58fa3a46b696e64ae63726f73735f70726f76696e6365a7646f6d61696e7390a56974656d7390a770726f66696c65c0a8626173656c696e6586a66e756d6265720da46e616d65b83133e58fb720e8b7a8e79c81e9809ae58a9ee7aa97e58fa3a46b696e64ae63726f73735f70726f76696e6365a7646f6d61696e7390a56974656d7390a770726f66696c65c0a57374617465a6636c6f736564ab73746174655f73696e6365d6ff6b039010ac70617573655f726561736f6ea0a57374616666c0a763757272656e74c0a67061726b65649088a47370656386a66e756d6265720ea46e616d65b83134e58fb720e7bb9fe4b880e587bae4bbb6e7aa97e58fa3a46b696e64a67069636b7570a7646f6d61696e7390a56974656d7390a770726f66696c65c0a8626173656c696e6586a66e756d6265720ea46e616d65b83134e58fb720e7bb9fe4b880e587bae4bbb6e7aa97e58fa3a46b696e64a67069636b7570a7646f6d61696e7390a56974656d7390a770726f66696c65c0a57374617465a6636c6f736564ab73746174655f73696e6365d6ff6b039010ac70617573655f726561736f6ea0a57374616666c0a763757272656e74c0a67061726b656490a967726f75705f73657180af736572766963655f7365636f6e647380');
INSERT INTO public.hall_snapshot VALUES ('demo', 40, '2026-11-24 00:45:00+00', '\x87a468616c6ca464656d6fa373657128a3646179aa323032362d31312d3234a77469636b65747391de0014a26964b0385172612d6d2d34523841314f4a6747a66e756d626572a442303031a567726f7570a142a373657101a46974656da453423031a87072696f72697479a777616c6b5f696ea36b657992cf000660fb052a9b0028a96973737565645f6174d6ff6b04de0ca57374617465a777616974696e67a7636f756e746572c0aa746f5f636f756e746572c0a7726563616c6c7300a963616c6c65645f6174c0aa737461727465645f6174c0a96d69737365645f6174c0a8656e6465645f6174c0b06170706f696e746d656e745f736c6f74c0af6964656d706f74656e63795f6b6579c0a76368616e6e656ca56b696f736ba97472616e736665727300a8636f756e746572739e88a47370656386a66e756d62657201a46e616d65ba31e58fb720e697a0e5b7aee588abe7bbbce59088e7aa97e58fa3a46b696e64ad6e6f5f646966666572656e6365a7646f6d61696e7390a56974656d7390a770726f66696c65c0a8626173656c696e6586a66e756d62657201a46e616d65ba31e58fb720e697a0e5b7aee588abe7bbbce59088e7aa97e58fa3a46b696e64ad6e6f5f646966666572656e6365a7646f6d61696e7390a56974656d7390a770726f66696c65c0a57374617465a6636c6f736564ab73746174655f73696e6365d6ff6b04de0cac70617573655f726561736f6ea0a57374616666c0a763757272656e74c0a67061726b65649088a47370656386a66e756d62657202a46e616d65ba32e58fb720e697a0e5b7aee588abe7bbbce59088e7aa97e58fa3a46b696e64ad6e6f5f646966666572656e6365a7646f6d61696e7390a56974656d7390a770726f66696c65c0a8626173656c696e6586a66e756d62657202a46e616d65ba32e58fb720e697a0e5b7aee588abe7bbbce59088e7aa97e58fa3a46b696e64ad6e6f5f646966666572656e6365a7646f6d61696e7390a56974656d7390a770726f66696c65c0a57374617465a6636c6f736564ab73746174655f73696e6365d6ff6b04de0cac70617573655f726561736f6ea0a57374616666c0a763757272656e74c0a67061726b65649088a47370656386a66e756d62657203a46e616d65ba33e58fb720e697a0e5b7aee588abe7bbbce59088e7aa97e58fa3a46b696e64ad6e6f5f646966666572656e6365a7646f6d61696e7390a56974656d7390a770726f66696c65c0a8626173656c696e6586a66e756d62657203a46e616d65ba33e58fb720e697a0e5b7aee588abe7bbbce59088e7aa97e58fa3a46b696e64ad6e6f5f646966666572656e6365a7646f6d61696e7390a56974656d7390a770726f66696c65c0a57374617465a6636c6f736564ab73746174655f73696e6365d6ff6b04de0cac70617573655f726561736f6ea0a57374616666c0a763757272656e74c0a67061726b65649088a47370656386a66e756d62657204a46e616d65ba34e58fb720e697a0e5b7aee588abe7bbbce59088e7aa97e58fa3a46b696e64ad6e6f5f646966666572656e6365a7646f6d61696e7390a56974656d7390a770726f66696c65c0a8626173656c696e6586a66e756d62657204a46e616d65ba34e58fb720e697a0e5b7aee588abe7bbbce59088e7aa97e58fa3a46b696e64ad6e6f5f646966666572656e6365a7646f6d61696e7390a56974656d7390a770726f66696c65c0a57374617465a6636c6f736564ab73746174655f73696e6365d6ff6b04de0cac70617573655f726561736f6ea0a57374616666c0a763757272656e74c0a67061726b65649088a47370656386a66e756d62657205a46e616d65ba35e58fb720e697a0e5b7aee588abe7bbbce59088e7aa97e58fa3a46b696e64ad6e6f5f646966666572656e6365a7646f6d61696e7390a56974656d7390a770726f66696c65c0a8626173656c696e6586a66e756d62657205a46e616d65ba35e58fb720e697a0e5b7aee588abe7bbbce59088e7aa97e58fa3a46b696e64ad6e6f5f646966666572656e6365a7646f6d61696e7390a56974656d7390a770726f66696c65c0a57374617465a6636c6f736564ab73746174655f73696e6365d6ff6b04de0cac70617573655f726561736f6ea0a57374616666c0a763757272656e74c0a67061726b65649088a47370656386a66e756d62657206a46e616d65b736e58fb720e4bc81e4b89ae69c8de58aa1e7aa97e58fa3a46b696e64a6646f6d61696ea7646f6d61696e7391aa656e7465727072697365a56974656d7390a770726f66696c65c0a8626173656c696e6586a66e756d62657206a46e616d65b736e58fb720e4bc81e4b89ae69c8de58aa1e7aa97e58fa3a46b696e64a6646f6d61696ea7646f6d61696e7391aa656e7465727072697365a56974656d7390a770726f66696c65c0a57374617465a6636c6f736564ab73746174655f73696e6365d6ff6b04de0cac70617573655f726561736f6ea0a57374616666c0a763757272656e74c0a67061726b65649088a47370656386a66e756d62657207a46e616d65b737e58fb720e4bc81e4b89ae69c8de58aa1e7aa97e58fa3a46b696e64a6646f6d61696ea7646f6d61696e7391aa656e7465727072697365a56974656d7390a770726f66696c65c0a8626173656c696e6586a66e756d62657207a46e616d65b737e58fb720e4bc81e4b89ae69c8de58aa1e7aa97e58fa3a46b696e64a6646f6d61696ea7646f6d61696e7391aa656e7465727072697365a56974656d7390a770726f66696c65c0a57374617465a6636c6f736564ab73746174655f73696e6365d6ff6b04de0cac70617573655f726561736f6ea0a57374616666c0a763757272656e74c0a67061726b65649088a47370656386a66e756d62657208a46e616d65b738e58fb720e7a4bee4bf9de58cbbe4bf9de7aa97e58fa3a46b696e64a6646f6d61696ea7646f6d61696e7391a6736f6369616ca56974656d7390a770726f66696c65c0a8626173656c696e6586a66e756d62657208a46e616d65b738e58fb720e7a4bee4bf9de58cbbe4bf9de7aa97e58fa3a46b696e64a6646f6d61696ea7646f6d61696e7391a6736f6369616ca56974656d7390a770726f66696c65c0a57374617465a6636c6f736564ab73746174655f73696e6365d6ff6b04de0cac70617573655f726561736f6ea0a57374616666c0a763757272656e74c0a67061726b65649088a47370656386a66e756d62657209a46e616d65ba39e58fb720e4b88de58aa8e4baa7e799bbe8aeb0e7aa97e58fa3a46b696e64a6646f6d61696ea7646f6d61696e7392a870726f7065727479ac686f7573696e675f66756e64a56974656d7390a770726f66696c65c0a8626173656c696e6586a66e756d62657209a46e616d65ba39e58fb720e4b88de58aa8e4baa7e799bbe8aeb0e7aa97e58fa3a46b696e64a6646f6d61696ea7646f6d61696e7392a870726f7065727479ac686f7573696e675f66756e64a56974656d7390a770726f66696c65c0a57374617465a6636c6f736564ab73746174655f73696e6365d6ff6b04de0cac70617573655f726561736f6ea0a57374616666c0a763757272656e74c0a67061726b65649088a47370656386a66e756d6265720aa46e616d65b53130e58fb720e585ace7a7afe98791e7aa97e58fa3a46b696e64a6646f6d61696ea7646f6d61696e7392a870726f7065727479ac686f7573696e675f66756e64a56974656d7390a770726f66696c65aa66756e645f6669727374a8626173656c696e6586a66e756d6265720aa46e616d65b53130e58fb720e585ace7a7afe98791e7aa97e58fa3a46b696e64a6646f6d61696ea7646f6d61696e7392a870726f7065727479ac686f7573696e675f66756e64a56974656d7390a770726f66696c65aa66756e645f6669727374a57374617465a6636c6f736564ab73746174655f73696e6365d6ff6b04de0cac70617573655f726561736f6ea0a57374616666c0a763757272656e74c0a67061726b65649088a47370656386a66e756d6265720ba46e616d65b23131e58fb720e7a88ee58aa1e7aa97e58fa3a46b696e64a6646f6d61696ea7646f6d61696e7391a3746178a56974656d7390a770726f66696c65c0a8626173656c696e6586a66e756d6265720ba46e616d65b23131e58fb720e7a88ee58aa1e7aa97e58fa3a46b696e64a6646f6d61696ea7646f6d61696e7391a3746178a56974656d7390a770726f66696c65c0a57374617465a6636c6f736564ab73746174655f73696e6365d6ff6b04de0cac70617573655f726561736f6ea0a57374616666c0a763757272656e74c0a67061726b65649088a47370656386a66e756d6265720ca46e616d65b23132e58fb720e688b7e694bfe7aa97e58fa3a46b696e64a6646f6d61696ea7646f6d61696e7391a9686f757365686f6c64a56974656d7390a770726f66696c65c0a8626173656c696e6586a66e756d6265720ca46e616d65b23132e58fb720e688b7e694bfe7aa97e58fa3a46b696e64a6646f6d61696ea7646f6d61696e7391a9686f757365686f6c64a56974656d7390a770726f66696c65c0a57374617465a6636c6f736564ab73746174655f73696e6365d6ff6b04de0cac70617573655f726561736f6ea0a57374616666c0a763757272656e74c0a67061726b65649088a47370656386a66e756d6265720da46e616d65b83133e58fb720e8b7a8e79c81e9809ae58a9ee7aa97e58fa3a46b696e64ae63726f73735f70726f76696e6365a7646f6d61696e7390a56974656d7390a770726f66696c65c0a8626173656c696e6586a66e756d6265720da46e616d65b83133e58fb720e8b7a8e79c81e9809ae58a9ee7aa97e58fa3a46b696e64ae63726f73735f70726f76696e6365a7646f6d61696e7390a56974656d7390a770726f66696c65c0a57374617465a6636c6f736564ab73746174655f73696e6365d6ff6b04de0cac70617573655f726561736f6ea0a57374616666c0a763757272656e74c0a67061726b65649088a47370656386a66e756d6265720ea46e616d65b83134e58fb720e7bb9fe4b880e587bae4bbb6e7aa97e58fa3a46b696e64a67069636b7570a7646f6d61696e7390a56974656d7390a770726f66696c65c0a8626173656c696e6586a66e756d6265720ea46e616d65b83134e58fb720e7bb9fe4b880e587bae4bbb6e7aa97e58fa3a46b696e64a67069636b7570a7646f6d61696e7390a56974656d7390a770726f66696c65c0a57374617465a6636c6f736564ab73746174655f73696e6365d6ff6b04de0cac70617573655f726561736f6ea0a57374616666c0a763757272656e74c0a67061726b656490a967726f75705f73657181a14201af736572766963655f7365636f6e647382a453423031cb407dd99999999999a451593031cb408da00000000000');


--
-- Data for Name: schema_version; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.schema_version VALUES (1, 'hall_event, hall_head, hall_snapshot, ticket', '2026-12-06T06:51:08.033757+00:00');


--
-- Data for Name: ticket; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.ticket VALUES ('jJIl4Ce66PpG_9QU', 'demo', '2026-11-23', 'B001', 'B', 1, 'SB01', 'walk_in', 'completed', 1, NULL, 0, 0, 'kiosk', 'k0', '2026-11-23 01:00:00+00', '2026-11-23 01:04:00+00', '2026-11-23 01:04:00+00', NULL, '2026-11-23 01:10:00+00', NULL, 26);
INSERT INTO public.ticket VALUES ('7YCIhbe2PJQ-WSAU', 'demo', '2026-11-23', 'A001', 'A', 1, 'QY01', 'walk_in', 'completed', 1, NULL, 0, 0, 'kiosk', 'k1', '2026-11-23 01:00:00+00', '2026-11-23 01:14:00+00', '2026-11-23 01:14:00+00', NULL, '2026-11-23 01:20:00+00', NULL, 29);
INSERT INTO public.ticket VALUES ('fQ8Ucg69zQUMMD60', 'demo', '2026-11-23', 'B002', 'B', 2, 'SB01', 'walk_in', 'completed', 1, NULL, 0, 0, 'kiosk', 'k2', '2026-11-23 01:00:00+00', '2026-11-23 01:24:00+00', '2026-11-23 01:24:00+00', NULL, '2026-11-23 01:30:00+00', NULL, 32);
INSERT INTO public.ticket VALUES ('S_2X4LL9KqSi8eIP', 'demo', '2026-11-23', 'A002', 'A', 2, 'QY02', 'walk_in', 'expired', NULL, NULL, 0, 0, 'kiosk', 'k5', '2026-11-23 01:00:00+00', NULL, NULL, NULL, '2026-11-24 00:45:00+00', NULL, 39);
INSERT INTO public.ticket VALUES ('Tyf0CRoKk6YhIKrL', 'demo', '2026-11-23', 'C001', 'C', 1, 'BD01', 'walk_in', 'expired', 1, NULL, 1, 0, 'kiosk', 'k3', '2026-11-23 01:00:00+00', '2026-11-23 01:30:00+00', NULL, '2026-11-23 01:30:00+00', '2026-11-24 00:45:00+00', NULL, 39);
INSERT INTO public.ticket VALUES ('-vbQcujQcRtIK2mt', 'demo', '2026-11-23', 'B003', 'B', 3, 'SB01', 'walk_in', 'expired', NULL, NULL, 0, 1, 'kiosk', 'k4', '2026-11-23 01:00:00+00', NULL, NULL, NULL, '2026-11-24 00:45:00+00', NULL, 39);
INSERT INTO public.ticket VALUES ('8Qra-m-4R8A1OJgG', 'demo', '2026-11-24', 'B001', 'B', 1, 'SB01', 'walk_in', 'waiting', NULL, NULL, 0, 0, 'kiosk', NULL, '2026-11-24 00:45:00+00', NULL, NULL, NULL, NULL, NULL, 40);


--
-- Name: schema_version_version_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.schema_version_version_seq', 1, false);


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
-- Name: ix_hall_event_hall_day; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX ix_hall_event_hall_day ON public.hall_event USING btree (hall, day);


--
-- Name: ix_hall_event_ticket_id; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX ix_hall_event_ticket_id ON public.hall_event USING btree (ticket_id);


--
-- Name: ix_ticket_hall; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX ix_ticket_hall ON public.ticket USING btree (hall);


--
-- PostgreSQL database dump complete
--

\unrestrict L1qbgmknQmNdhwTvQttKTkzDwKQdXnSYVPzNsgXDosW3CKIJLFIMQA6sDSt1geh

