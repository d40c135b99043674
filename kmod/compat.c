// SPDX-License-Identifier: GPL-2.0
/*
 * The genl_ops table of kernels without split ops (6.1), made at init from
 * the generated split ops (genl.c), so that 6.1 enforces the spec's
 * policies and flags too.  6.1 has one entry per command, whose do and
 * dump share a policy: where the spec gives them different ones, the entry
 * gets their union (an attribute of both must have the same policy), and
 * the flags of both.
 */
#include "genl.h"

#ifndef COSI_HAVE_SPLIT_OPS

#define COSI_MAXATTR_61	((int)COSI_A_RESOURCE_MAX > (int)COSI_A_DEFINITION_MAX ? \
			 (int)COSI_A_RESOURCE_MAX : (int)COSI_A_DEFINITION_MAX)

static struct genl_ops cosi_ops_61[ARRAY_SIZE(cosi_nl_ops)] __ro_after_init;
static struct nla_policy
cosi_union_61[ARRAY_SIZE(cosi_nl_ops) / 2][COSI_MAXATTR_61 + 1] __ro_after_init;

static int cosi_policy_union(struct genl_ops *op,
			     const struct genl_split_ops *sop,
			     struct nla_policy *u)
{
	unsigned int i;

	if (WARN_ON(op->maxattr > COSI_MAXATTR_61 ||
		    sop->maxattr > COSI_MAXATTR_61))
		return -EINVAL;
	/* (struct nla_policy has const members: copied, not assigned) */
	memcpy(u, op->policy, (op->maxattr + 1) * sizeof(*u));
	for (i = 0; i <= sop->maxattr; i++) {
		if (!sop->policy[i].type)
			continue;
		if (WARN_ON(u[i].type &&
			    memcmp(&u[i], &sop->policy[i], sizeof(u[i]))))
			return -EINVAL;
		memcpy(&u[i], &sop->policy[i], sizeof(u[i]));
	}
	op->policy = u;
	op->maxattr = max(op->maxattr, sop->maxattr);
	return 0;
}

int cosi_genl_ops_61(struct genl_family *family)
{
	unsigned int i, n = 0, n_union = 0;
	struct genl_ops *op = NULL;
	int err;

	for (i = 0; i < ARRAY_SIZE(cosi_nl_ops); i++) {
		const struct genl_split_ops *sop = &cosi_nl_ops[i];

		if (!op || op->cmd != sop->cmd) {
			op = &cosi_ops_61[n++];
			op->cmd = sop->cmd;
			op->policy = sop->policy;
			op->maxattr = sop->maxattr;
			op->validate = sop->validate;
		} else if (sop->policy && sop->policy != op->policy) {
			if (!op->policy) {
				op->policy = sop->policy;
				op->maxattr = sop->maxattr;
			} else {
				err = cosi_policy_union(op, sop,
							cosi_union_61[n_union++]);
				if (err)
					return err;
			}
		}
		op->flags |= sop->flags & ~(GENL_CMD_CAP_DO | GENL_CMD_CAP_DUMP);
		if (sop->flags & GENL_CMD_CAP_DO) {
			op->doit = sop->doit;
		} else {
			op->start = sop->start;
			op->dumpit = sop->dumpit;
			op->done = sop->done;
		}
	}
	family->ops = cosi_ops_61;
	family->n_ops = n;
	return 0;
}

#endif /* !COSI_HAVE_SPLIT_OPS */
