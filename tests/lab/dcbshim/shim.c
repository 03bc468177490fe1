// SPDX-License-Identifier: GPL-3.0-or-later
/*
 * LD_PRELOAD shim for iproute2's dcb, used by tests/lab/test_dcb_parity.py.
 *
 * On NETLINK_ROUTE sockets it takes every RTM_GETDCB / RTM_SETDCB request out
 * of the send path, appends it verbatim to $DCBSHIM_LOG and answers it itself,
 * so the kernel never sees it: a GET gets a zeroed struct ieee_ets, a zeroed
 * struct ieee_pfc and an empty APP table, a SET or DEL gets DCB_ATTR_IEEE = 0
 * (success, as dcbnl reports it); each reply is followed by an ack. This lets
 * dcb get past its read-modify-write GET on a device without DCB ops.
 * Everything else passes through to libc.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <linux/dcbnl.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

static char reply[4096];
static size_t reply_len;
static int reply_fd = -1;

static void *tail(struct nlmsghdr *nlh)
{
	return (char *)nlh + NLMSG_ALIGN(nlh->nlmsg_len);
}

static struct nlattr *put(struct nlmsghdr *nlh, int type, const void *data, size_t len)
{
	struct nlattr *nla = tail(nlh);

	nla->nla_type = type;
	nla->nla_len = NLA_HDRLEN + len;
	if (len)
		memcpy((char *)nla + NLA_HDRLEN, data, len);
	nlh->nlmsg_len = NLMSG_ALIGN(nlh->nlmsg_len) + NLA_ALIGN(nla->nla_len);
	return nla;
}

static void nest_end(struct nlmsghdr *nlh, struct nlattr *nest)
{
	nest->nla_len = (char *)tail(nlh) - (char *)nest;
}

static void build_reply(const struct nlmsghdr *req)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)reply, *ack;
	struct dcbmsg *dcb = NLMSG_DATA(nlh);
	struct nlmsgerr *err;

	memset(reply, 0, sizeof(reply));
	nlh->nlmsg_len = NLMSG_LENGTH(sizeof(*dcb));
	nlh->nlmsg_type = req->nlmsg_type;
	nlh->nlmsg_seq = req->nlmsg_seq;
	dcb->cmd = ((const struct dcbmsg *)NLMSG_DATA(req))->cmd;
	if (req->nlmsg_type == RTM_GETDCB) {
		struct ieee_ets ets = { 0 };
		struct ieee_pfc pfc = { 0 };
		struct nlattr *ieee = put(nlh, DCB_ATTR_IEEE | NLA_F_NESTED, NULL, 0);

		put(nlh, DCB_ATTR_IEEE_ETS, &ets, sizeof(ets));
		put(nlh, DCB_ATTR_IEEE_PFC, &pfc, sizeof(pfc));
		put(nlh, DCB_ATTR_IEEE_APP_TABLE | NLA_F_NESTED, NULL, 0);
		nest_end(nlh, ieee);
	} else {
		__u8 ok = 0;

		put(nlh, DCB_ATTR_IEEE, &ok, 1);
	}
	ack = tail(nlh);
	ack->nlmsg_len = NLMSG_LENGTH(sizeof(*err));
	ack->nlmsg_type = NLMSG_ERROR;
	ack->nlmsg_flags = 0x100; /* NLM_F_CAPPED: only the request header is echoed */
	ack->nlmsg_seq = req->nlmsg_seq;
	err = NLMSG_DATA(ack);
	err->msg = *req;
	reply_len = (char *)ack - reply + ack->nlmsg_len;
}

static int is_route(int fd)
{
	int value;
	socklen_t len = sizeof(value);

	if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &value, &len) || value != AF_NETLINK)
		return 0;
	len = sizeof(value);
	return !getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &value, &len) && value == NETLINK_ROUTE;
}

/* Record and answer a DCB request; 0 if buf is not one (send it for real). */
static int intercept(int fd, const void *buf, size_t len)
{
	const struct nlmsghdr *nlh = buf;
	const char *path = getenv("DCBSHIM_LOG");
	int log;

	if (len < NLMSG_LENGTH(sizeof(struct dcbmsg)) || len > 2048 ||
	    (nlh->nlmsg_type != RTM_GETDCB && nlh->nlmsg_type != RTM_SETDCB) || !is_route(fd))
		return 0;
	if (path) {
		log = open(path, O_WRONLY | O_APPEND | O_CREAT, 0644);
		if (log >= 0) {
			if (write(log, buf, len) != (ssize_t)len)
				abort();
			close(log);
		}
	}
	build_reply(nlh);
	reply_fd = fd;
	return 1;
}

/* Hand out the pending reply; -1 if none is pending on fd (receive for real). */
static ssize_t deliver(int fd, struct iovec *iov, size_t iovlen, int flags, void *addr,
		       socklen_t *addrlen, int *msg_flags)
{
	size_t copied = 0, i;

	if (fd != reply_fd)
		return -1;
	for (i = 0; i < iovlen && copied < reply_len; i++) {
		size_t n = iov[i].iov_len < reply_len - copied ? iov[i].iov_len : reply_len - copied;

		memcpy(iov[i].iov_base, reply + copied, n);
		copied += n;
	}
	if (msg_flags)
		*msg_flags = copied < reply_len ? MSG_TRUNC : 0;
	if (addr && addrlen && *addrlen >= sizeof(struct sockaddr_nl)) {
		struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };

		memcpy(addr, &kernel, sizeof(kernel));
		*addrlen = sizeof(kernel);
	}
	if (!(flags & MSG_PEEK))
		reply_fd = -1;
	return flags & MSG_TRUNC ? (ssize_t)reply_len : (ssize_t)copied;
}

#define REAL(name) static __typeof__(name) *real; if (!real) real = dlsym(RTLD_NEXT, #name)

ssize_t sendto(int fd, const void *buf, size_t len, int flags, const struct sockaddr *addr, socklen_t alen)
{
	REAL(sendto);
	return intercept(fd, buf, len) ? (ssize_t)len : real(fd, buf, len, flags, addr, alen);
}

ssize_t send(int fd, const void *buf, size_t len, int flags)
{
	REAL(send);
	return intercept(fd, buf, len) ? (ssize_t)len : real(fd, buf, len, flags);
}

ssize_t sendmsg(int fd, const struct msghdr *msg, int flags)
{
	REAL(sendmsg);
	if (msg->msg_iovlen == 1 && intercept(fd, msg->msg_iov[0].iov_base, msg->msg_iov[0].iov_len))
		return msg->msg_iov[0].iov_len;
	return real(fd, msg, flags);
}

ssize_t recvmsg(int fd, struct msghdr *msg, int flags)
{
	ssize_t n = deliver(fd, msg->msg_iov, msg->msg_iovlen, flags, msg->msg_name, &msg->msg_namelen,
			    &msg->msg_flags);

	REAL(recvmsg);
	if (n >= 0)
		msg->msg_controllen = 0;
	return n >= 0 ? n : real(fd, msg, flags);
}

ssize_t recvfrom(int fd, void *buf, size_t len, int flags, struct sockaddr *addr, socklen_t *alen)
{
	struct iovec iov = { buf, len };
	ssize_t n = deliver(fd, &iov, 1, flags, addr, alen, NULL);

	REAL(recvfrom);
	return n >= 0 ? n : real(fd, buf, len, flags, addr, alen);
}

ssize_t recv(int fd, void *buf, size_t len, int flags)
{
	struct iovec iov = { buf, len };
	ssize_t n = deliver(fd, &iov, 1, flags, NULL, NULL, NULL);

	REAL(recv);
	return n >= 0 ? n : real(fd, buf, len, flags);
}
